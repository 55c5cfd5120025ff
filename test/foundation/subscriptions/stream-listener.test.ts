import type { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import type { ReactiveDomainError } from '../../../src/core';
import {
  ListenerAlreadyStartedError,
  ListenerFailedError,
  ListenerHandlerError,
  ListenerSources,
  ListenerStoppedError,
  StreamListener,
  allCheckpoint,
  streamCheckpoint,
  type Checkpoint,
} from '../../../src/foundation';
import type {
  RecordedEvent,
  StoreSubscription,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from '../../../src/persistence/stream-store';
import { SubscriptionDroppedError } from '../../../src/persistence/stream-store.errors';
import {
  DelegatingStore,
  AccountOpened,
  Deposited,
  DepositedV2,
  Noted,
  RedeliveringStore,
  append,
  appendDeposits,
  eventually,
  newStore,
} from './fixtures';

const quickReconnect = { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 5 };

function collect(): { events: RecordedEvent[]; handler: (e: RecordedEvent) => void } {
  const events: RecordedEvent[] = [];
  return { events, handler: (e) => void events.push(e) };
}

describe('StreamListener', () => {
  let store: FaultyStreamStore;
  beforeEach(() => {
    store = newStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('catches up a stream from the start, goes live, then receives new events in order', async () => {
    await appendDeposits(store, 'account-1', 5);
    const { events, handler } = collect();
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), handler).start();
    expect(listener.status).toBe('catching-up');
    await listener.whenLive();
    expect(listener.isLive).toBe(true);
    expect(listener.status).toBe('live');
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
    await appendDeposits(store, 'account-1', 2);
    await eventually(() => events.length === 7);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(listener.checkpoint).toEqual(streamCheckpoint(6));
    expect(listener.handledCount).toBe(7);
    await listener.stop();
  });

  it('whenLive() resolves once the history at start is handled, without waiting for later appends', async () => {
    await appendDeposits(store, 'account-1', 5);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), async (e) => {
      if (e.revision >= 5) await gate; // later appends block until the test releases them
      handled.push(e.revision);
    }).start();
    await appendDeposits(store, 'account-1', 3); // appended after start, before delivery
    await listener.whenLive(); // would never resolve if it waited for revisions 5..7
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    release();
    await eventually(() => handled.length === 8);
    await listener.stop();
  });

  it('whenLive() resolves for a stream that does not exist yet, and later events arrive live', async () => {
    const { events, handler } = collect();
    const listener = new StreamListener(store, ListenerSources.stream('account-new'), handler).start();
    await listener.whenLive();
    expect(events).toHaveLength(0);
    await append(store, 'account-new', new AccountOpened('new'));
    await eventually(() => events.length === 1);
    await listener.stop();
  });

  it('resuming from checkpoint 8 skips exactly revisions 0..8 and handles the rest', async () => {
    await appendDeposits(store, 'account-1', 20);
    const { events, handler } = collect();
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), handler, {
      after: streamCheckpoint(8),
    }).start();
    await listener.whenLive();
    expect(events.map((e) => e.revision)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(listener.checkpoint).toEqual(streamCheckpoint(19));
    await listener.stop();
  });

  it('never hands an event at or before its checkpoint to the handler, even when the store re-delivers it', async () => {
    await appendDeposits(store, 'account-1', 20);
    const { events, handler } = collect();
    const redelivering = new RedeliveringStore(store);
    const listener = new StreamListener(redelivering, ListenerSources.stream('account-1'), handler, {
      after: streamCheckpoint(8),
      reconnect: quickReconnect,
      onError: () => undefined,
    }).start();
    await listener.whenLive();
    await store.dropSubscriptions(); // the reconnect starts from the beginning again
    await appendDeposits(store, 'account-1', 1);
    await eventually(() => events.length === 12);
    expect(events.map((e) => e.revision)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    await listener.stop();
  });

  it('follows a category: only streams named <category>-..., with $all positions as checkpoints', async () => {
    await append(store, 'account-1', new Deposited('account-1', 1));
    await append(store, 'accountHolder-1', new Deposited('accountHolder-1', 100));
    await append(store, 'other-1', new Deposited('other-1', 1000));
    await append(store, 'account-2', new Deposited('account-2', 2));
    const { events, handler } = collect();
    const listener = new StreamListener(store, ListenerSources.category('account'), handler).start();
    await listener.whenLive();
    expect(events.map((e) => e.streamName)).toEqual(['account-1', 'account-2']);
    expect(listener.checkpoint).toEqual(allCheckpoint(events[1]!.position));
    await listener.stop();
  });

  it('follows an event type by exact name (the $all prefix filter alone would also match DepositedV2)', async () => {
    await append(
      store,
      'account-1',
      new Deposited('account-1', 1),
      new DepositedV2('account-1'),
      new Noted('n'),
    );
    await append(store, 'account-2', new Deposited('account-2', 2));
    const { events, handler } = collect();
    const listener = new StreamListener(store, ListenerSources.eventType('Deposited'), handler).start();
    await listener.whenLive();
    expect(events.map((e) => `${e.streamName}:${e.type}`)).toEqual([
      'account-1:Deposited',
      'account-2:Deposited',
    ]);
    await listener.stop();
  });

  it('follows $all (optionally filtered) and resumes after a position', async () => {
    await append(store, 'a-1', new Noted('1'), new Noted('2'));
    await append(store, 'b-1', new Noted('3'));
    const first = collect();
    const all = new StreamListener(store, ListenerSources.all(), first.handler).start();
    await all.whenLive();
    expect(first.events).toHaveLength(3);
    await all.stop();

    const resumed = collect();
    const after = all.checkpoint as Extract<Checkpoint, { kind: 'all' }>;
    await append(store, 'a-1', new Noted('4'));
    const again = new StreamListener(
      store,
      ListenerSources.all({ on: 'streamName', prefixes: ['a-'] }),
      resumed.handler,
      { after },
    ).start();
    await again.whenLive();
    expect(resumed.events.map((e) => e.streamName)).toEqual(['a-1']);
    expect(resumed.events[0]!.position > after.position).toBe(true);
    await again.stop();
  });

  it('reports a drop during catch-up and one during live, reconnects, and loses or repeats nothing (10,000 events)', async () => {
    const total = 10_000;
    await appendDeposits(store, 'account-1', total);
    const revisions: number[] = [];
    const errors: ReactiveDomainError[] = [];
    const listener = new StreamListener(
      store,
      ListenerSources.stream('account-1'),
      async (e) => {
        revisions.push(e.revision);
        if (revisions.length === 3_000) void store.dropSubscriptions(); // mid catch-up
      },
      { reconnect: quickReconnect },
    );
    listener.errors$.subscribe((e) => errors.push(e));
    listener.start();
    await listener.whenLive();
    expect(revisions).toHaveLength(total);
    await appendDeposits(store, 'account-1', 100);
    await eventually(() => revisions.length > total);
    await store.dropSubscriptions(); // while live
    await appendDeposits(store, 'account-1', 100);
    await eventually(() => revisions.length === total + 200, 'all events after the live drop');
    expect(revisions).toEqual(Array.from({ length: total + 200 }, (_, i) => i));
    expect(errors.filter((e) => e instanceof SubscriptionDroppedError)).toHaveLength(2);
    expect(listener.status).not.toBe('failed');
    await listener.stop();
  });

  it('reports every drop on onError as well as errors$', async () => {
    await appendDeposits(store, 'account-1', 3);
    const seen: ReactiveDomainError[] = [];
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), () => undefined, {
      reconnect: quickReconnect,
      onError: (e) => seen.push(e),
    }).start();
    await listener.whenLive();
    await store.dropSubscriptions();
    await eventually(() => listener.status === 'live' && store.subscriptionCount === 1, 'resubscribed');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(SubscriptionDroppedError);
    await listener.stop();
  });

  it('fails visibly when reconnect attempts are exhausted: status failed, failure set, whenLive rejects', async () => {
    const flaky = new AlwaysDroppingStore(store);
    const errors: ReactiveDomainError[] = [];
    const listener = new StreamListener(flaky, ListenerSources.stream('account-1'), () => undefined, {
      reconnect: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
      onError: (e) => errors.push(e),
    }).start();
    await expect(listener.whenLive()).rejects.toBeInstanceOf(ListenerFailedError);
    expect(listener.status).toBe('failed');
    expect(listener.failure).toBeInstanceOf(ListenerFailedError);
    expect((listener.failure as ListenerFailedError).attempts).toBe(3);
    expect(flaky.subscribeCalls).toBe(4); // the first subscription and 3 reconnects
    expect(errors.filter((e) => e instanceof SubscriptionDroppedError)).toHaveLength(4);
    expect(errors[errors.length - 1]).toBeInstanceOf(ListenerFailedError);
    expect(listener.isLive).toBe(false);
    await listener.stop();
  });

  it('with maxAttempts 0 the first drop fails the listener', async () => {
    await appendDeposits(store, 'account-1', 2);
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), () => undefined, {
      reconnect: { maxAttempts: 0 },
      onError: () => undefined,
    }).start();
    await listener.whenLive();
    await store.dropSubscriptions();
    await eventually(() => listener.status === 'failed');
    expect(listener.failure).toBeInstanceOf(ListenerFailedError);
  });

  it('fails on a handler error, naming the event, and handles nothing after it (no retry)', async () => {
    await appendDeposits(store, 'account-1', 5);
    const handled: number[] = [];
    const errors: ReactiveDomainError[] = [];
    const listener = new StreamListener(
      store,
      ListenerSources.stream('account-1'),
      (e) => {
        if (e.revision === 2) throw new Error('boom');
        handled.push(e.revision);
      },
      { onError: (e) => errors.push(e) },
    ).start();
    const failure = await listener.whenLive().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ListenerHandlerError);
    const error = failure as ListenerHandlerError;
    expect(error.event.revision).toBe(2);
    expect(error.event.streamName).toBe('account-1');
    expect((error.cause as Error).message).toBe('boom');
    expect(error.message).toContain('account-1');
    expect(listener.status).toBe('failed');
    expect(listener.checkpoint).toEqual(streamCheckpoint(1));
    await appendDeposits(store, 'account-1', 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handled).toEqual([0, 1]);
    expect(errors).toEqual([error]);
  });

  it('stop() resolves only after the running handler finished, and no handler runs afterwards', async () => {
    await appendDeposits(store, 'account-1', 3);
    let inHandler = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), async (e) => {
      inHandler = true;
      if (e.revision === 1) await gate;
      handled.push(e.revision);
      inHandler = false;
    }).start();
    await eventually(() => inHandler && handled.length === 1);
    let stopped = false;
    const stopping = listener.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false); // revision 1 is still being handled
    release();
    await stopping;
    expect(inHandler).toBe(false);
    const after = handled.length;
    await appendDeposits(store, 'account-1', 3);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handled.length).toBe(after);
    expect(listener.status).toBe('stopped');
    expect(store.subscriptionCount).toBe(0);
  });

  it('stop() before going live rejects whenLive() with ListenerStoppedError', async () => {
    await appendDeposits(store, 'account-1', 3);
    const listener = new StreamListener(
      store,
      ListenerSources.stream('account-1'),
      () => new Promise<void>(() => undefined),
    );
    listener.start();
    const live = listener.whenLive();
    const stopping = listener.stop();
    await expect(live).rejects.toBeInstanceOf(ListenerStoppedError);
    void stopping; // the handler never settles, so stop waits for it: that is the contract
  });

  it('stop() during a reconnect delay cancels the reconnect', async () => {
    await appendDeposits(store, 'account-1', 2);
    const listener = new StreamListener(store, ListenerSources.stream('account-1'), () => undefined, {
      reconnect: { initialDelayMs: 20 },
      onError: () => undefined,
    }).start();
    await listener.whenLive();
    await store.dropSubscriptions();
    expect(listener.status).toBe('reconnecting');
    await listener.stop();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(store.subscriptionCount).toBe(0);
    expect(listener.status).toBe('stopped');
  });

  it('refuses a second start and a checkpoint of the wrong kind', () => {
    const listener = new StreamListener(store, ListenerSources.stream('s-1'), () => undefined);
    listener.start();
    expect(() => listener.start()).toThrow(ListenerAlreadyStartedError);
    void listener.stop();
    expect(
      () =>
        new StreamListener(store, ListenerSources.stream('s-1'), () => undefined, {
          after: allCheckpoint(5n),
        }),
    ).toThrow(/takes a stream checkpoint/);
    expect(
      () =>
        new StreamListener(store, ListenerSources.category('account'), () => undefined, {
          after: streamCheckpoint(5),
        }),
    ).toThrow(/takes an \$all checkpoint/);
    expect(
      () =>
        new StreamListener(store, ListenerSources.stream('s-1'), () => undefined, {
          reconnect: { maxAttempts: -1 },
        }),
    ).toThrow(/maxAttempts/);
  });
});

/** A store whose subscriptions all drop at once (a server that keeps refusing). */
class AlwaysDroppingStore extends DelegatingStore {
  subscribeCalls = 0;
  override subscribeToStream(
    streamName: string,
    _options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.dropping(`stream ${streamName}`, handlers);
  }
  override subscribeToAll(
    _options: SubscribeToAllOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.dropping('$all', handlers);
  }
  private dropping(name: string, handlers: SubscriptionHandlers): StoreSubscription {
    this.subscribeCalls++;
    setImmediate(() => handlers.onDropped?.(new SubscriptionDroppedError(name, 'connection_lost')));
    return { isLive: false, close: async () => undefined };
  }
}
