import {
  AggregateRoot,
  AmbiguousConventionMethodError,
  Command,
  EventDrivenStateMachine,
  Event,
  EventTypeRegistry,
  UnmatchedConventionMethodError,
  conventionMethodName,
  defaultEventTypes,
} from '../../src/core';

class Open extends Command {}
class Deposited extends Event {
  constructor(readonly amount: number) {
    super();
  }
}
class NoteAdded extends Event {
  constructor(readonly text: string) {
    super();
  }
}

describe('convention routing is never silent', () => {
  it('refuses, at first use, an aggregate whose apply method matches no type in the registry it routes with', () => {
    // The events live in a registry of their own; the aggregate forgot `static eventTypes`, so it routes with the
    // process-wide registry, where Deposited is unknown. Before: deposit() was recorded and the balance stayed 0.
    const billing = new EventTypeRegistry({ name: 'billing' }).register(Deposited, 'Deposited');
    class Wallet extends AggregateRoot {
      static readonly typeName = 'Wallet';
      balance = 0;
      deposit(amount: number): void {
        this.raise(new Deposited(amount));
      }
      protected applyDeposited(e: Deposited): void {
        this.balance += e.amount;
      }
    }
    let error: unknown;
    try {
      new Wallet('w-1', new Open());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnmatchedConventionMethodError);
    const unmatched = error as UnmatchedConventionMethodError;
    expect(unmatched.code).toBe('UNMATCHED_CONVENTION_METHOD');
    expect(unmatched.className).toBe('Wallet');
    expect(unmatched.methodName).toBe('applyDeposited');
    expect(unmatched.registryName).toBe(defaultEventTypes.name);
    expect(unmatched.message).toContain('Wallet.applyDeposited()');
    expect(unmatched.message).toContain('defaultEventTypes');

    // Pointing the class at the registry that holds the type fixes it.
    class FixedWallet extends Wallet {
      static override eventTypes = billing;
    }
    const wallet = new FixedWallet('w-2', new Open());
    wallet.deposit(5);
    expect(wallet.balance).toBe(5);
  });

  it('names the registry it looked in (a named registry)', () => {
    const empty = new EventTypeRegistry({ name: 'notes' });
    class Machine extends EventDrivenStateMachine {
      static override eventTypes = empty;
      protected applySomething(): void {}
    }
    expect(() => new Machine()).toThrow(
      /Machine\.applySomething\(\) matches no event type registered in notes \(0 type/,
    );
  });

  it('checks inherited apply methods as well (the prototype chain is the class)', () => {
    const types = new EventTypeRegistry().register(Deposited, 'Deposited');
    class Base extends EventDrivenStateMachine {
      static override eventTypes = types;
      protected applyDeposited(): void {}
      protected applyWithdrawn(): void {}
    }
    class Derived extends Base {}
    expect(() => new Derived()).toThrow(UnmatchedConventionMethodError);
  });

  it("routes dotted, colon and dash type names to apply + the name with those characters as '_'", () => {
    expect(conventionMethodName('Notes.Added')).toBe('applyNotes_Added');
    expect(conventionMethodName('billing:invoice-sent')).toBe('applybilling_invoice_sent');
    expect(conventionMethodName('AccountOpened')).toBe('applyAccountOpened');

    const types = new EventTypeRegistry().register(NoteAdded, 'Notes.Added');
    class Notebook extends EventDrivenStateMachine {
      static override eventTypes = types;
      static override strictRouting = true;
      notes: string[] = [];
      add(text: string): void {
        this.raise(new NoteAdded(text));
      }
      protected applyNotes_Added(e: NoteAdded): void {
        this.notes.push(e.text);
      }
    }
    const notebook = new Notebook();
    notebook.add('first');
    expect(notebook.notes).toEqual(['first']);
    const replayed = new Notebook();
    replayed.restoreFromEvents([new NoteAdded('stored')]);
    expect(replayed.notes).toEqual(['stored']);
  });

  it('refuses a method that two registered names map to', () => {
    class Underscored extends Event {}
    const types = new EventTypeRegistry()
      .register(NoteAdded, 'Notes.Added')
      .register(Underscored, 'Notes_Added');
    class Notebook extends EventDrivenStateMachine {
      static override eventTypes = types;
      protected applyNotes_Added(): void {}
    }
    let error: unknown;
    try {
      new Notebook();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AmbiguousConventionMethodError);
    expect((error as AmbiguousConventionMethodError).typeNames).toEqual(['Notes.Added', 'Notes_Added']);
  });

  it('keeps refusing the class (the failed check is not cached as a success)', () => {
    const types = new EventTypeRegistry();
    class Late extends EventDrivenStateMachine {
      static override eventTypes = types;
      seen = 0;
      protected applyDeposited(): void {
        this.seen++;
      }
    }
    expect(() => new Late()).toThrow(UnmatchedConventionMethodError);
    expect(() => new Late()).toThrow(UnmatchedConventionMethodError);
    types.register(Deposited, 'Deposited');
    const late = new Late();
    late.restoreFromEvents([new Deposited(1)]);
    expect(late.seen).toBe(1);
  });
});

describe('the route lookup cache', () => {
  it('routes every event to its own method when types alternate, unrouted types included, across classes', () => {
    class Unrouted extends Event {}
    const registry = new EventTypeRegistry({ name: 'cache' })
      .register(Deposited, 'Deposited')
      .register(NoteAdded, 'NoteAdded')
      .register(Unrouted, 'Unrouted');
    const seen: string[] = [];
    class Ledger extends EventDrivenStateMachine {
      static override eventTypes = registry;
      protected applyDeposited(e: Deposited): void {
        seen.push(`ledger deposit ${e.amount}`);
      }
      protected applyNoteAdded(e: NoteAdded): void {
        seen.push(`ledger note ${e.text}`);
      }
    }
    class Journal extends EventDrivenStateMachine {
      static override eventTypes = registry;
      protected applyNoteAdded(e: NoteAdded): void {
        seen.push(`journal note ${e.text}`);
      }
    }
    const ledger = new (class extends Ledger {})();
    const journal = new Journal();
    ledger.restoreFromEvents([
      new Deposited(1),
      new Deposited(2),
      new NoteAdded('a'),
      new Unrouted(),
      new Deposited(3),
    ]);
    journal.restoreFromEvents([new NoteAdded('b'), new Deposited(4), new NoteAdded('c')]);
    ledger.restoreFromEvents([new NoteAdded('d'), new Unrouted(), new NoteAdded('e')]);
    expect(seen).toEqual([
      'ledger deposit 1',
      'ledger deposit 2',
      'ledger note a',
      'ledger deposit 3',
      'journal note b',
      'journal note c',
      'ledger note d',
      'ledger note e',
    ]);
    expect(ledger.expectedVersion).toBe(7);
    expect(journal.expectedVersion).toBe(2);
  });
});

describe('pending events of an instance with none', () => {
  it('takeEvents hands back a fresh array, and raising after a take starts a new list', () => {
    const registry = new EventTypeRegistry({ name: 'pending' }).register(NoteAdded, 'NoteAdded');
    class Notes extends EventDrivenStateMachine {
      static override eventTypes = registry;
      texts: string[] = [];
      add(text: string): void {
        this.raise(new NoteAdded(text));
      }
      protected applyNoteAdded(e: NoteAdded): void {
        this.texts.push(e.text);
      }
    }
    const a = new Notes();
    const b = new Notes();
    const none = a.takeEvents();
    none.push(new NoteAdded('not mine')); // the caller owns what it was given
    expect(a.pendingEvents).toEqual([]);
    expect(b.pendingEvents).toEqual([]);
    a.add('one');
    a.add('two');
    expect(b.pendingEvents).toEqual([]);
    const taken = a.takeEvents();
    expect(taken.map((e) => (e as NoteAdded).text)).toEqual(['one', 'two']);
    expect(a.pendingEvents).toEqual([]);
    expect(a.expectedVersion).toBe(1);
    a.add('three');
    expect(a.pendingEvents.map((e) => (e as NoteAdded).text)).toEqual(['three']);
    expect(taken).toHaveLength(2);
  });
});
