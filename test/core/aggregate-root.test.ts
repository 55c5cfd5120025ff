import {
  AggregateRoot,
  AggregateVersionMismatchError,
  AlreadyCorrelatedError,
  ChildEntity,
  DuplicateRouteError,
  Event,
  EventDrivenStateMachine,
  EventTypeRegistry,
  InvalidArgumentError,
  InvalidEventError,
  MissingSourceError,
  PendingEventsError,
  RouteConflictError,
  SourceChangeError,
  UnroutedEventError,
} from '../../src/core';
import {
  Account,
  AccountId,
  AccountOpened,
  Audited,
  Deposited,
  OpenAccount,
  Withdrawn,
  registry,
} from './fixtures';

function openedAccount(): Account {
  const id = AccountId.create();
  const account = new Account(id);
  account.restoreFromEvents([new AccountOpened(id)]);
  return account;
}

describe('EventDrivenStateMachine version bookkeeping', () => {
  it('starts new at -1 and takeEvents moves -1 -> 0 (first event is revision 0)', () => {
    const account = Account.open(AccountId.create(), new OpenAccount(AccountId.create()));
    expect(account.expectedVersion).toBe(-1);
    expect(account.hasRecordedEvents).toBe(true);
    const taken = account.takeEvents();
    expect(taken).toHaveLength(1);
    expect(account.expectedVersion).toBe(0);
    expect(account.hasRecordedEvents).toBe(false);
    expect(account.pendingEvents).toEqual([]);
  });

  it('restore sets the version to the last revision and applies state', () => {
    const id = AccountId.create();
    const account = new Account(id);
    account.restoreFromEvents([new AccountOpened(id), new Deposited(id, 10), new Deposited(id, 5)]);
    expect(account.expectedVersion).toBe(2);
    expect(account.balance).toBe(15);
    expect(account.opened).toBe(true);
  });

  it('refuses to restore while events are pending, naming the aggregate', () => {
    const account = openedAccount();
    account.source = new OpenAccount(account.id);
    account.deposit(5);
    expect(() => account.restoreFromEvents([new Deposited(account.id, 1)])).toThrow(PendingEventsError);
    expect(() => account.restoreFromEvents([])).toThrow(`Account "${account.id}": cannot restore history`);
  });

  it('updateWithEvents requires history and the matching version', () => {
    const fresh = new Account(AccountId.create());
    expect(() => fresh.updateWithEvents([new Deposited(fresh.id, 1)], -1)).toThrow(
      AggregateVersionMismatchError,
    );
    const account = openedAccount();
    expect(() => account.updateWithEvents([new Deposited(account.id, 1)], 3)).toThrow(
      'updateWithEvents expected version 3 but the instance is at version 0',
    );
    account.updateWithEvents([new Deposited(account.id, 4)], 0);
    expect(account.expectedVersion).toBe(1);
    expect(account.balance).toBe(4);
  });

  it('an unrouted event is recorded and counts toward the version', () => {
    const account = openedAccount();
    account.source = new OpenAccount(account.id);
    account.audit();
    expect(account.pendingEvents).toHaveLength(1);
    account.takeEvents();
    expect(account.expectedVersion).toBe(1);
  });

  it('if the route throws, nothing is recorded', () => {
    const account = openedAccount();
    account.source = new OpenAccount(account.id);
    expect(() => account.withdraw(100)).toThrow('insufficient funds');
    expect(account.hasRecordedEvents).toBe(false);
    expect(account.balance).toBe(0);
  });

  it('rejects things that are not events', () => {
    const account = openedAccount();
    expect(() => account.restoreFromEvents([null as unknown as object])).toThrow(InvalidEventError);
    expect(() => account.restoreFromEvents(undefined as unknown as object[])).toThrow(InvalidEventError);
    account.source = new OpenAccount(account.id);
    expect(() => (account as unknown as { raise(e: unknown): void }).raise({ plain: true })).toThrow(
      /expects a correlated event/,
    );
    expect(() => (account as unknown as { raise(e: unknown): void }).raise(42)).toThrow(InvalidEventError);
  });

  it('rejects an empty id', () => {
    expect(() => new Account('' as AccountId)).toThrow(InvalidArgumentError);
  });
});

describe('routing', () => {
  class Ping extends Event {}
  class Pong extends Event {}
  const types = new EventTypeRegistry().register(Ping, 'Ping').register(Pong, 'Pong');

  class Explicit extends EventDrivenStateMachine {
    static override eventTypes = types;
    pings = 0;
    constructor() {
      super();
      this.register(Ping, () => this.pings++);
    }
    ping(): void {
      this.raise(new Ping());
    }
    registerAgain(): void {
      this.register(Ping, () => undefined);
    }
  }

  it('routes explicitly registered types', () => {
    const machine = new Explicit();
    machine.ping();
    machine.ping();
    expect(machine.pings).toBe(2);
    expect(machine.takeEvents()).toHaveLength(2);
  });

  it('a duplicate route is an error', () => {
    expect(() => new Explicit().registerAgain()).toThrow(DuplicateRouteError);
  });

  it('a convention method and an explicit route for one type is a definition error', () => {
    class Both extends EventDrivenStateMachine {
      static override eventTypes = types;
      constructor() {
        super();
        this.register(Pong, () => undefined);
      }
      protected applyPong(): void {}
    }
    expect(() => new Both()).toThrow(RouteConflictError);
    expect(() => new Both()).toThrow(/convention method applyPong\(\) and an explicit route/);
  });

  it('finds convention methods on base classes, the nearest override winning', () => {
    class Base extends EventDrivenStateMachine {
      static override eventTypes = types;
      seen: string[] = [];
      protected applyPing(): void {
        this.seen.push('base ping');
      }
      protected applyPong(): void {
        this.seen.push('base pong');
      }
    }
    class Derived extends Base {
      protected override applyPong(): void {
        this.seen.push('derived pong');
      }
    }
    const machine = new Derived();
    machine.restoreFromEvents([new Ping(), new Pong()]);
    expect(machine.seen).toEqual(['base ping', 'derived pong']);
  });

  it('routes by the registered name, not constructor.name', () => {
    class Renamed extends Event {}
    const named = new EventTypeRegistry().register(Renamed, 'SomethingHappened');
    class Machine extends EventDrivenStateMachine {
      static override eventTypes = named;
      hits = 0;
      protected applySomethingHappened(): void {
        this.hits++;
      }
    }
    const machine = new Machine();
    machine.restoreFromEvents([new Renamed()]);
    expect(machine.hits).toBe(1);
    // A method named after the class (not the registered name) routes nothing: the class is refused, not skipped.
    class ByClassName extends EventDrivenStateMachine {
      static override eventTypes = named;
      protected applyRenamed(): void {}
    }
    expect(() => new ByClassName()).toThrow(/ByClassName\.applyRenamed\(\) matches no event type/);
  });

  it('strict routing makes an unrouted event an error', () => {
    class Strict extends EventDrivenStateMachine {
      static override eventTypes = types;
      static override strictRouting = true;
      ping(): void {
        this.raise(new Ping());
      }
    }
    const machine = new Strict();
    expect(() => machine.ping()).toThrow(UnroutedEventError);
    expect(() => machine.ping()).toThrow('Strict: no route for event Ping (strict routing is on)');
    expect(machine.hasRecordedEvents).toBe(false);
  });
});

describe('AggregateRoot correlation', () => {
  it('stamps correlation from the source (its correlation id, else its msgId) and causation = source msgId', () => {
    const command = new OpenAccount(AccountId.create());
    const account = Account.open(command.accountId, command);
    const [opened] = account.pendingEvents as AccountOpened[];
    expect(opened?.correlationId).toBe(command.msgId);
    expect(opened?.causationId).toBe(command.msgId);

    const later = new OpenAccount(account.id);
    later.correlationId = 'conversation-1';
    account.takeEvents();
    account.source = later;
    account.deposit(3);
    const [deposited] = account.pendingEvents as Deposited[];
    expect(deposited?.correlationId).toBe('conversation-1');
    expect(deposited?.causationId).toBe(later.msgId);
  });

  it('raising without a source throws, naming aggregate and event', () => {
    const account = openedAccount();
    expect(() => account.deposit(1)).toThrow(MissingSourceError);
    expect(() => account.deposit(1)).toThrow(
      `Account "${account.id}": cannot raise Deposited without a source message`,
    );
  });

  it('a pre-correlated event throws', () => {
    const account = openedAccount();
    account.source = new OpenAccount(account.id);
    const event = new Deposited(account.id, 1);
    event.correlationId = 'already';
    expect(() => (account as unknown as { raise(e: object): void }).raise(event)).toThrow(
      AlreadyCorrelatedError,
    );
  });

  it('an event whose route threw is left uncorrelated, so it can be raised again', () => {
    const account = openedAccount();
    account.source = new OpenAccount(account.id);
    const withdrawal = new Withdrawn(account.id, 10);
    const raise = (e: object) => (account as unknown as { raise(e: object): void }).raise(e);
    expect(() => raise(withdrawal)).toThrow('insufficient funds');
    expect(withdrawal.correlationId).toBeUndefined();
    expect(withdrawal.causationId).toBeUndefined();
    account.deposit(10);
    raise(withdrawal);
    expect(account.balance).toBe(0);
    expect(withdrawal.causationId).toBe(account.source?.msgId);
  });

  it('takeEvents clears the source, so raising after a save throws', () => {
    const account = Account.open(AccountId.create(), new OpenAccount(AccountId.create()));
    account.takeEvents();
    expect(account.source).toBeUndefined();
    expect(() => account.deposit(1)).toThrow(MissingSourceError);
  });

  it('keepSourceForNextTake keeps the source through exactly one take', () => {
    const command = new OpenAccount(AccountId.create());
    const account = Account.open(command.accountId, command);
    account.keepSourceForNextTake();
    account.takeEvents();
    expect(account.source).toBe(command);
    account.deposit(1);
    account.takeEvents();
    expect(account.source).toBeUndefined();
  });

  it('the source cannot change while events are pending', () => {
    const account = Account.open(AccountId.create(), new OpenAccount(AccountId.create()));
    expect(() => (account.source = new OpenAccount(account.id))).toThrow(SourceChangeError);
    expect(() => (account.source = { msgId: 'x' } as never)).toThrow(InvalidEventError);
  });

  it('the registry used is the class one', () => {
    expect(registry.nameOf(new Withdrawn(AccountId.create(), 1))).toBe('Withdrawn');
    expect(registry.nameOf(new Audited())).toBe('Audited');
  });
});

describe('ChildEntity', () => {
  class ItemAdded extends Event {
    constructor(readonly itemId: string) {
      super();
    }
  }
  class ItemRenamed extends Event {
    constructor(
      readonly itemId: string,
      readonly name: string,
    ) {
      super();
    }
  }
  const types = new EventTypeRegistry().register(ItemAdded, 'ItemAdded').register(ItemRenamed, 'ItemRenamed');

  class Item extends ChildEntity {
    name = '';
    constructor(id: string, root: Basket) {
      super(id, root);
      this.register(ItemRenamed, (e) => {
        if (e.itemId === this.id) this.name = e.name;
      });
    }
    rename(name: string): void {
      this.raise(new ItemRenamed(this.id, name));
    }
    registerTwice(): void {
      this.register(ItemRenamed, () => undefined);
    }
  }
  class Basket extends AggregateRoot {
    static readonly typeName = 'Basket';
    static override eventTypes = types;
    readonly items = new Map<string, Item>();
    add(itemId: string): Item {
      this.raise(new ItemAdded(itemId));
      return this.items.get(itemId)!;
    }
    protected applyItemAdded(e: ItemAdded): void {
      this.items.set(e.itemId, new Item(e.itemId, this));
    }
  }

  it('children raise through the root and only their own events change them', () => {
    const basket = new Basket('basket-1', new ItemAdded('source'));
    const a = basket.add('a');
    const b = basket.add('b');
    a.rename('apple');
    b.rename('banana');
    expect([a.name, b.name]).toEqual(['apple', 'banana']);
    expect(basket.pendingEvents).toHaveLength(4);

    const copy = new Basket('basket-1');
    copy.restoreFromEvents(basket.takeEvents());
    expect(copy.items.get('a')?.name).toBe('apple');
    expect(copy.items.get('b')?.name).toBe('banana');
    expect(copy.expectedVersion).toBe(3);
  });

  it('a child routing one type twice is an error', () => {
    const basket = new Basket('basket-2', new ItemAdded('source'));
    expect(() => basket.add('a').registerTwice()).toThrow(DuplicateRouteError);
  });
});
