import { take, toArray, firstValueFrom } from 'rxjs';
import type { Message } from '../../src/core/message';
import { Event } from '../../src/core/message';
import { ReactiveDomainError } from '../../src/core/reactive-domain.error';
import { ConflictingSubscriptionError, InMemoryBus, type HandlerFailure } from '../../src/messaging';
import {
  AccountClosed,
  AccountEvent,
  AccountOpened,
  deferred,
  flush,
  Ping,
  PremiumAccountOpened,
  trackUnhandledRejections,
} from './fixtures';

trackUnhandledRejections();

function name(m: Message): string {
  return m.constructor.name;
}

describe('InMemoryBus delivery', () => {
  it('delivers a published message to its subscriber and reports how many handlers got it', async () => {
    const bus = new InMemoryBus();
    const got: AccountOpened[] = [];
    bus.subscribe(AccountOpened, (e) => {
      got.push(e);
    });
    const event = new AccountOpened('a1');
    const result = await bus.publish(event);
    expect(got).toEqual([event]);
    expect(result).toEqual({ message: event, delivered: 1, errors: [] });
  });

  it('resolves with delivered = 0 when nobody subscribed', async () => {
    const bus = new InMemoryBus();
    const result = await bus.publish(new Ping(1));
    expect(result.delivered).toBe(0);
    expect(bus.hasSubscriberFor(Ping)).toBe(false);
  });

  it('parent subscriptions receive subclasses through the whole prototype chain', async () => {
    const bus = new InMemoryBus();
    const seen: string[] = [];
    bus.subscribe(Event, (m) => void seen.push(`Event:${name(m)}`));
    bus.subscribe(AccountEvent, (m) => void seen.push(`AccountEvent:${name(m)}`));
    bus.subscribe(AccountOpened, (m) => void seen.push(`AccountOpened:${name(m)}`));
    await bus.publish(new PremiumAccountOpened('a'));
    await bus.publish(new AccountClosed('b'));
    expect(seen).toEqual([
      'Event:PremiumAccountOpened',
      'AccountEvent:PremiumAccountOpened',
      'AccountOpened:PremiumAccountOpened',
      'Event:AccountClosed',
      'AccountEvent:AccountClosed',
    ]);
  });

  it('exactType: true opts out of subclass delivery', async () => {
    const bus = new InMemoryBus();
    const exact: string[] = [];
    const derived: string[] = [];
    bus.subscribe(AccountOpened, (m) => void exact.push(name(m)), { exactType: true });
    bus.subscribe(AccountOpened, (m) => void derived.push(name(m)));
    await bus.publish(new AccountOpened('a'));
    await bus.publish(new PremiumAccountOpened('b'));
    expect(exact).toEqual(['AccountOpened']);
    expect(derived).toEqual(['AccountOpened', 'PremiumAccountOpened']);
  });

  it('invokes handlers in subscription order, whatever level of the hierarchy they subscribed to', async () => {
    const bus = new InMemoryBus();
    const order: string[] = [];
    bus.subscribe(PremiumAccountOpened, () => void order.push('premium'));
    bus.subscribe(Event, () => void order.push('event'));
    bus.subscribeToAll(() => void order.push('all'));
    bus.subscribe(AccountOpened, () => void order.push('opened'));
    await bus.publish(new PremiumAccountOpened('a'));
    expect(order).toEqual(['premium', 'event', 'all', 'opened']);
  });

  it('subscribing the same handler twice to one type is idempotent', async () => {
    const bus = new InMemoryBus();
    let calls = 0;
    const handler = (): void => {
      calls++;
    };
    const first = bus.subscribe(AccountOpened, handler);
    const second = bus.subscribe(AccountOpened, handler);
    await bus.publish(new AccountOpened('a'));
    expect(calls).toBe(1);
    second.unsubscribe();
    expect(first.closed).toBe(true);
    await bus.publish(new AccountOpened('a'));
    expect(calls).toBe(1);
  });

  it('the same handler on a class and on its subclass is two subscriptions (delivered twice)', async () => {
    const bus = new InMemoryBus();
    let calls = 0;
    const handler = (): void => {
      calls++;
    };
    bus.subscribe(AccountEvent, handler);
    bus.subscribe(AccountOpened, handler);
    await bus.publish(new AccountOpened('a'));
    expect(calls).toBe(2);
  });

  it('re-subscribing a handler with a different exactType throws instead of guessing', () => {
    const bus = new InMemoryBus();
    const handler = (): void => {};
    bus.subscribe(AccountOpened, handler);
    const attempt = () => bus.subscribe(AccountOpened, handler, { exactType: true });
    expect(attempt).toThrow(ConflictingSubscriptionError);
    expect(attempt).toThrow(/AccountOpened/);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(ReactiveDomainError);
      expect((error as ConflictingSubscriptionError).code).toBe('CONFLICTING_SUBSCRIPTION');
    }
  });

  it('the resolved-handler cache is invalidated by subscribe and unsubscribe', async () => {
    const bus = new InMemoryBus();
    const seen: string[] = [];
    bus.subscribe(AccountOpened, () => void seen.push('first'));
    await bus.publish(new PremiumAccountOpened('a')); // fills the cache for PremiumAccountOpened
    const late = bus.subscribe(AccountEvent, () => void seen.push('late-base'));
    await bus.publish(new PremiumAccountOpened('a'));
    late.unsubscribe();
    expect(late.closed).toBe(true);
    await bus.publish(new PremiumAccountOpened('a'));
    expect(seen).toEqual(['first', 'first', 'late-base', 'first']);
    late.unsubscribe(); // idempotent
  });

  it('a handler unsubscribed during a dispatch does not receive the message being dispatched', async () => {
    const bus = new InMemoryBus();
    const seen: string[] = [];
    // eslint-disable-next-line prefer-const
    let second: { unsubscribe(): void } | undefined;
    bus.subscribe(Ping, () => {
      seen.push('first');
      second?.unsubscribe();
    });
    second = bus.subscribe(Ping, () => void seen.push('second'));
    await bus.publish(new Ping(1));
    expect(seen).toEqual(['first']);
  });

  it('delivers messages to each subscriber in publish order (FIFO), even when a handler publishes re-entrantly', async () => {
    const bus = new InMemoryBus();
    const log: string[] = [];
    bus.subscribe(Ping, (p) => {
      log.push(`A:${p.n}`);
      if (p.n === 1) void bus.publish(new Ping(2));
    });
    bus.subscribe(Ping, (p) => void log.push(`B:${p.n}`));
    await bus.publish(new Ping(1));
    await flush();
    // Depth-first dispatch would give A:1, A:2, B:2, B:1 — B would see 2 before 1.
    expect(log).toEqual(['A:1', 'B:1', 'A:2', 'B:2']);
  });

  it('a re-entrant publish resolves once its own handlers have finished', async () => {
    const bus = new InMemoryBus();
    const gate = deferred();
    let innerDone = false;
    bus.subscribe(AccountClosed, () => gate.promise);
    bus.subscribe(AccountOpened, async () => {
      const result = await bus.publish(new AccountClosed('x'));
      innerDone = result.delivered === 1;
    });
    const outer = bus.publish(new AccountOpened('x'));
    await flush();
    expect(innerDone).toBe(false);
    gate.resolve();
    await outer;
    expect(innerDone).toBe(true);
  });

  it('keeps FIFO order over many publishes', async () => {
    const bus = new InMemoryBus();
    const seen: number[] = [];
    bus.subscribe(Ping, (p) => void seen.push(p.n));
    const all = Array.from({ length: 200 }, (_, i) => bus.publish(new Ping(i)));
    await Promise.all(all);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('InMemoryBus async handlers and failures', () => {
  it('publish resolves only when every async handler has finished', async () => {
    const bus = new InMemoryBus();
    const slow = deferred();
    let finished = false;
    bus.subscribe(Ping, () => slow.promise);
    bus.subscribe(Ping, async () => {
      await Promise.resolve();
      finished = true;
    });
    let resolved = false;
    const publishing = bus.publish(new Ping(1)).then((r) => {
      resolved = true;
      return r;
    });
    await flush();
    expect(finished).toBe(true);
    expect(resolved).toBe(false);
    slow.resolve();
    const result = await publishing;
    expect(resolved).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.delivered).toBe(2);
  });

  it('a failing handler does not stop the others; failures are in the result and on errors$', async () => {
    const bus = new InMemoryBus();
    const failures: HandlerFailure[] = [];
    bus.errors$.subscribe((f) => failures.push(f));
    const syncBoom = new Error('sync boom');
    const asyncBoom = new Error('async boom');
    const throwing = (): void => {
      throw syncBoom;
    };
    const rejecting = async (): Promise<void> => {
      await Promise.resolve();
      throw asyncBoom;
    };
    const ran: string[] = [];
    bus.subscribe(AccountOpened, throwing);
    bus.subscribe(AccountEvent, rejecting);
    bus.subscribe(AccountOpened, () => void ran.push('after'));
    const message = new AccountOpened('a');

    const result = await bus.publish(message);

    expect(ran).toEqual(['after']);
    expect(result.delivered).toBe(3);
    expect(result.errors).toEqual([
      { message, handler: throwing, subscribedType: AccountOpened, error: syncBoom },
      { message, handler: rejecting, subscribedType: AccountEvent, error: asyncBoom },
    ]);
    expect(failures).toEqual(result.errors);
  });

  it('never lets a handler failure become an unhandled rejection, even when publish is not awaited', async () => {
    const bus = new InMemoryBus();
    const failures: HandlerFailure[] = [];
    bus.errors$.subscribe((f) => failures.push(f));
    bus.subscribe(Ping, () => Promise.reject(new Error('nobody awaits me')));
    void bus.publish(new Ping(1));
    void bus.publish(new Ping(2));
    await flush();
    await flush();
    expect(failures.map((f) => (f.message as Ping).n)).toEqual([1, 2]);
    // trackUnhandledRejections() asserts in afterAll that no 'unhandledRejection' was seen in this file.
  });

  it('reports a failure as a process warning when nobody observes errors$', async () => {
    const bus = new InMemoryBus('orders-bus');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      bus.subscribe(Ping, () => {
        throw new Error('unobserved');
      });
      const result = await bus.publish(new Ping(1));
      expect(result.errors).toHaveLength(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/orders-bus.*Ping.*unobserved/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('InMemoryBus observables', () => {
  it('observe(Type) emits matching messages (subclasses included) and unsubscribes with the subscriber', async () => {
    const bus = new InMemoryBus();
    const collected = firstValueFrom(bus.observe(AccountOpened).pipe(take(2), toArray()));
    expect(bus.hasSubscriberFor(AccountOpened)).toBe(true);
    await bus.publish(new AccountClosed('x'));
    const a = new AccountOpened('a');
    const b = new PremiumAccountOpened('b');
    await bus.publish(a);
    await bus.publish(b);
    expect(await collected).toEqual([a, b]);
    expect(bus.hasSubscriberFor(AccountOpened)).toBe(false);
  });

  it('observe honours exactType', async () => {
    const bus = new InMemoryBus();
    const seen: string[] = [];
    const sub = bus.observe(AccountOpened, { exactType: true }).subscribe((m) => seen.push(name(m)));
    await bus.publish(new PremiumAccountOpened('a'));
    await bus.publish(new AccountOpened('b'));
    sub.unsubscribe();
    expect(seen).toEqual(['AccountOpened']);
  });

  it('all$ and subscribeToAll capture every message in publish order', async () => {
    const bus = new InMemoryBus();
    const viaObservable: Message[] = [];
    const viaHandler: Message[] = [];
    const sub = bus.all$.subscribe((m) => viaObservable.push(m));
    const handle = bus.subscribeToAll((m) => void viaHandler.push(m));
    const messages = [new Ping(1), new AccountOpened('a'), new AccountClosed('b')];
    for (const m of messages) await bus.publish(m);
    expect(viaObservable).toEqual(messages);
    expect(viaHandler).toEqual(messages);
    sub.unsubscribe();
    handle.unsubscribe();
    expect(bus.hasSubscriberFor(Ping)).toBe(false);
  });

  it('subscribeToAll is idempotent for the same handler', async () => {
    const bus = new InMemoryBus();
    let calls = 0;
    const handler = (): void => {
      calls++;
    };
    bus.subscribeToAll(handler);
    bus.subscribeToAll(handler);
    await bus.publish(new Ping(1));
    expect(calls).toBe(1);
  });
});
