/**
 * EventStoreDBStreamStore against a scripted client port (fake-esdb-client.ts): the behaviours the wire test
 * server cannot show — `$` system events in `$all`, the server's inclusive forward `$all` reads, revisions beyond
 * 2^53, a live subscription that repeats the last caught-up event, and every way a subscription can drop.
 */
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import {
  StoreUnavailableError,
  StreamDeletedError,
  WrongExpectedVersionError,
} from '../../../src/persistence/stream-store.errors';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import {
  EsdbOperationTimeoutError,
  RevisionOutOfRangeError,
  UnexpectedServerResponseError,
} from '../../../src/adapters/eventstoredb/eventstoredb.errors';
import { SubscriptionRecorder, eventually } from '../../../src/testing/contracts';
import { FakeEsdbClient, recorded } from './fake-esdb-client';

/** Records `stream:revision` per event and `live`, and the drops. */
function recorder() {
  const recording = new SubscriptionRecorder((event) => `${event.streamName}:${event.revision}`);
  return { log: recording.log, drops: recording.drops, handlers: recording.handlers() };
}

let client: FakeEsdbClient;
let store: EventStoreDBStreamStore;

beforeEach(() => {
  client = new FakeEsdbClient();
  store = new EventStoreDBStreamStore(client, { pageSize: 3 });
});

afterEach(async () => {
  await store.close();
});

describe('readAll', () => {
  beforeEach(() => {
    client.add('$users', '$UserCreated');
    client.add('order-1');
    client.add('order-1', '$>'); // a link event
    client.add('$$order-1', '$metadata');
    client.add('order-2');
    client.add('order-1', '$streamDeleted');
    client.add('order-3');
  });

  it('never returns $ system events, with or without a filter', async () => {
    const all = await store.readAll();
    expect(all.events.map((e) => `${e.streamName}:${e.type}`)).toEqual([
      'order-1:Evt',
      'order-2:Evt',
      'order-3:Evt',
    ]);
    expect(all.isEnd).toBe(true);
    const filtered = await store.readAll({ filter: { on: 'streamName', prefixes: ['order-1', '$'] } });
    expect(filtered.events.map((e) => e.streamName)).toEqual(['order-1']);
  });

  it('makes `after` exclusive although the server includes the event at the position', async () => {
    const order1 = client.all[1]!;
    const read = await store.readAll({ after: order1.position! });
    expect(read.events.map((e) => e.streamName)).toEqual(['order-2', 'order-3']);
    expect(client.readAllCalls[0]).toMatchObject({ direction: 'forwards', from: order1.position });
  });

  it('pages through raw pages full of filtered-out events and reports isEnd exactly', async () => {
    const page = await store.readAll({ maxCount: 2 });
    expect(page.events.map((e) => e.streamName)).toEqual(['order-1', 'order-2']);
    expect(page.isEnd).toBe(false);
    const rest = await store.readAll({ after: page.events[1]!.position, maxCount: 2 });
    expect(rest.events.map((e) => e.streamName)).toEqual(['order-3']);
    expect(rest.isEnd).toBe(true);
  });

  it('reads backwards, exclusive of `after`', async () => {
    const order3 = client.all[6]!;
    const read = await store.readAll({ direction: 'backwards', after: order3.position! });
    expect(read.events.map((e) => e.streamName)).toEqual(['order-2', 'order-1']);
  });

  it('an event without a position is an error, not a guess', async () => {
    client.all.push(recorded('order-9', 0n, undefined));
    await expect(store.readAll()).rejects.toBeInstanceOf(UnexpectedServerResponseError);
  });
});

describe('revisions beyond Number.MAX_SAFE_INTEGER', () => {
  it('reading such an event is a RevisionOutOfRangeError, never a rounded number', async () => {
    client.add('big', 'Evt', BigInt(Number.MAX_SAFE_INTEGER) + 2n);
    const error = await store.readStream('big').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevisionOutOfRangeError);
    expect(error).toMatchObject({
      code: 'REVISION_OUT_OF_RANGE',
      streamName: 'big',
      revision: BigInt(Number.MAX_SAFE_INTEGER) + 2n,
    });
  });
});

describe('emulated StreamExists for delete (the client packages cannot send it)', () => {
  it('deletes at the revision it read, retrying when a concurrent append moved it', async () => {
    client.add('s');
    client.add('s');
    client.deleteFailures.push(
      Object.assign(new Error('wev'), { type: 'wrong-expected-version', actualVersion: 2n }),
    );
    await store.deleteStream('s', ExpectedVersion.StreamExists);
    expect(client.deleteCalls).toEqual([1n, 1n]);
  });

  it('fails with WrongExpectedVersionError (actual no_stream) on a missing stream, without calling delete', async () => {
    await expect(store.deleteStream('missing', ExpectedVersion.StreamExists)).rejects.toMatchObject({
      constructor: WrongExpectedVersionError,
      expected: 'stream_exists',
      actual: 'no_stream',
    });
    expect(client.deleteCalls).toEqual([]);
  });
});

describe('empty appends (checked here, nothing is sent)', () => {
  it('check the expected version against the last revision', async () => {
    client.add('s');
    expect(await store.appendToStream('s', 0, [])).toEqual({
      nextExpectedVersion: 0,
      position: client.all[0]!.position,
    });
    expect(await store.appendToStream('missing', ExpectedVersion.NoStream, [])).toMatchObject({
      nextExpectedVersion: -1,
    });
    await expect(store.appendToStream('s', ExpectedVersion.NoStream, [])).rejects.toMatchObject({
      actual: 0,
    });
    await expect(store.appendToStream('missing', ExpectedVersion.StreamExists, [])).rejects.toMatchObject({
      actual: 'no_stream',
    });
  });
});

describe('subscriptions', () => {
  it('catches up in pages, signals live, then subscribes after the last event seen and de-duplicates the hand-over', async () => {
    for (let i = 0; i < 4; i++) client.add('s');
    const { log, handlers } = recorder();
    store.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    expect(log).toEqual(['s:0', 's:1', 's:2', 's:3', 'live']);
    const live = client.liveSubscriptions[0]!;
    expect(live.from).toBe(3n);
    // A server that repeats the boundary event (inclusive semantics) must not cause a double delivery.
    live.push(recorded('s', 3n, 400n));
    live.push(recorded('s', 4n, 500n));
    await eventually(() => log.length === 6, 'the live event');
    expect(log).toEqual(['s:0', 's:1', 's:2', 's:3', 'live', 's:4']);
  });

  it('subscribes to $all with the system-event exclusion server-side and again client-side', async () => {
    client.add('a');
    const { log, handlers } = recorder();
    store.subscribeToAll({ after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    const live = client.liveSubscriptions[0]!;
    expect(live.filter).toEqual({ on: 'eventType', regex: '^[^$]' });
    expect(live.from).toBe(client.all[0]!.position);
    live.push(recorded('$$a', 0n, 150n, '$metadata'));
    live.push(recorded('a', 1n, 200n));
    await eventually(() => log.length === 3, 'the live event');
    expect(log).toEqual(['a:0', 'live', 'a:1']);
  });

  it('with pageSize 1, catches up on all of $all before signalling live (the server repeats the event at the cursor)', async () => {
    const onePerPage = new EventStoreDBStreamStore(client, { pageSize: 1 });
    for (const name of ['a', 'b', 'c']) client.add(name);
    const { log, handlers } = recorder();
    onePerPage.subscribeToAll({ after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    expect(log).toEqual(['a:0', 'b:0', 'c:0', 'live']);
    expect(client.liveSubscriptions[0]!.from).toBe(client.all[2]!.position);
    await onePerPage.close();
  });

  it('passes a prefix filter to the server', async () => {
    store.subscribeToAll(
      { after: 'end', filter: { on: 'streamName', prefixes: ['order-'] } },
      recorder().handlers,
    );
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    expect(client.liveSubscriptions[0]!.filter).toEqual({ on: 'streamName', prefixes: ['order-'] });
  });

  it.each([
    ['an unavailable server', { type: 'unavailable' }, 'connection_lost'],
    ['a raw gRPC UNAVAILABLE status', { code: 14 }, 'connection_lost'],
    ['a server error', { type: 'access-denied' }, 'server_error'],
  ])('reports %s as a drop with the matching reason, once', async (_, failure, reason) => {
    const { drops, handlers } = recorder();
    store.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    const error = Object.assign(new Error('failure'), failure);
    client.liveSubscriptions[0]!.fail(error);
    await eventually(() => drops.length > 0, 'the drop');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ code: 'SUBSCRIPTION_DROPPED', reason });
  });

  it('reports a tombstone of the subscribed stream as server_error caused by StreamDeletedError', async () => {
    const { drops, handlers } = recorder();
    store.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    client.liveSubscriptions[0]!.fail(Object.assign(new Error('deleted'), { type: 'stream-deleted' }));
    await eventually(() => drops.length > 0, 'the drop');
    expect(drops[0]!.reason).toBe('server_error');
    expect(drops[0]!.cause).toBeInstanceOf(StreamDeletedError);
  });

  it('reports the server ending the call as connection_lost', async () => {
    const { drops, handlers } = recorder();
    store.subscribeToAll({ after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    client.liveSubscriptions[0]!.end();
    await eventually(() => drops.length > 0, 'the drop');
    expect(drops[0]!.reason).toBe('connection_lost');
  });

  it('without onDropped, a drop goes to process.emitWarning (never silent)', async () => {
    const warnings: unknown[][] = [];
    const spy = jest
      .spyOn(process, 'emitWarning')
      .mockImplementation((...args: unknown[]) => void warnings.push(args));
    try {
      store.subscribeToStream('s', { after: 'start' }, { onEvent: () => undefined });
      await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
      client.liveSubscriptions[0]!.end();
      await eventually(() => warnings.length > 0, 'the warning');
      // The shared reportDrop: message, then the error's class and code.
      expect(warnings[0]![0]).toBe('Subscription to stream "s" dropped (connection_lost)');
      expect(warnings[0]![1]).toMatchObject({
        type: 'SubscriptionDroppedError',
        code: 'SUBSCRIPTION_DROPPED',
      });
    } finally {
      spy.mockRestore();
    }
  });

  it('reports an onLive callback that throws as handler_error, like the in-memory store', async () => {
    const { drops, handlers } = recorder();
    const failure = new Error('onLive failed');
    store.subscribeToStream(
      's',
      { after: 'start' },
      {
        ...handlers,
        onLive: () => {
          throw failure;
        },
      },
    );
    await eventually(() => drops.length > 0, 'the drop');
    expect(drops[0]).toMatchObject({ reason: 'handler_error', cause: failure });
    expect(client.liveSubscriptions).toHaveLength(0);
  });

  it('store.close() disposes the client even when cancelling a live subscription fails', async () => {
    const { drops, handlers } = recorder();
    store.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    const live = client.liveSubscriptions[0]!;
    // As the real wrapper does: the iteration ends (the stream is destroyed), but the cancel itself rejects.
    jest.spyOn(live, 'unsubscribe').mockImplementation(async () => {
      live.end();
      throw new Error('the call never opened');
    });
    await store.close();
    expect(client.disposed).toBe(1);
    expect(drops).toEqual([]);
  });

  it('store.close() stops subscriptions without a drop report, disposes the client once, then refuses calls', async () => {
    const { drops, handlers } = recorder();
    const subscription = store.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => client.liveSubscriptions.length === 1, 'the live subscription');
    await store.close();
    await store.close();
    expect(client.liveSubscriptions[0]!.unsubscribed).toBe(true);
    expect(drops).toEqual([]);
    expect(client.disposed).toBe(1);
    await subscription.close();
    await expect(store.readStream('s')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(() => store.subscribeToAll({}, handlers)).toThrow(StoreUnavailableError);
  });
});

describe('deadlines (the scripted client hangs like a server that never answers, ignoring cancellation)', () => {
  let hung: FakeEsdbClient;
  let timed: EventStoreDBStreamStore;

  beforeEach(() => {
    hung = new FakeEsdbClient();
    timed = new EventStoreDBStreamStore(hung, { deadlineMs: 50 });
  });

  afterEach(async () => {
    await timed.close();
  });

  it('rejects with EsdbOperationTimeoutError and aborts the signal it gave the call', async () => {
    hung.blackHole = true;
    const error = await timed.readStream('s').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EsdbOperationTimeoutError);
    expect(error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      operation: 'readStream',
      streamName: 's',
      deadlineMs: 50,
      message: 'EventStoreDB did not answer readStream("s") within 50 ms (the store\'s deadlineMs)',
    });
    expect(hung.signals.length).toBeGreaterThan(0);
    expect(hung.signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('a call that succeeds within the deadline is unaffected, and its signal is not aborted', async () => {
    hung.add('s');
    expect(await timed.readStream('s')).toMatchObject({ status: 'ok', lastRevision: 0 });
    expect(hung.signals.some((signal) => signal.aborted)).toBe(false);
  });

  it('a client error within the deadline is mapped as before (the deadline does not mask it)', async () => {
    hung.deleteFailures.push(Object.assign(new Error('wev'), { type: 'wrong-expected-version' }));
    await expect(timed.deleteStream('s', 3)).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('drops a live subscription that the server never confirms (connection_lost), and unsubscribes it', async () => {
    hung.confirmSubscriptions = false;
    const { log, drops, handlers } = recorder();
    timed.subscribeToStream('s', { after: 'start' }, handlers);
    await eventually(() => drops.length > 0, 'the drop');
    expect(log).toEqual(['live']);
    expect(drops[0]).toMatchObject({ reason: 'connection_lost' });
    expect(drops[0]!.cause).toMatchObject({
      operation: 'subscribeToStream',
      streamName: 's',
      deadlineMs: 50,
    });
    expect(hung.liveSubscriptions[0]!.unsubscribed).toBe(true);
  });

  it('keeps a confirmed live subscription however long it stays quiet', async () => {
    hung.confirmSubscriptions = false;
    const { log, drops, handlers } = recorder();
    timed.subscribeToAll({ after: 'start' }, handlers);
    await eventually(() => hung.liveSubscriptions.length === 1, 'the live subscription');
    hung.liveSubscriptions[0]!.confirm();
    await new Promise((resolve) => setTimeout(resolve, 200)); // four deadlines
    hung.liveSubscriptions[0]!.push(recorded('a', 0n, 100n));
    await eventually(() => log.length === 2, 'the live event');
    expect(drops).toEqual([]);
  });

  it('handlers are not timed: a slow handler during catch-up is not a stalled read', async () => {
    for (let i = 0; i < 4; i++) hung.add('s');
    const { log, drops, handlers } = recorder();
    timed.subscribeToStream(
      's',
      { after: 'start' },
      {
        ...handlers,
        onEvent: async (event) => {
          await new Promise((resolve) => setTimeout(resolve, 60)); // longer than the deadline
          log.push(`${event.streamName}:${event.revision}`);
        },
      },
    );
    await eventually(() => log.includes('live'), 'live');
    expect(log).toEqual(['s:0', 's:1', 's:2', 's:3', 'live']);
    expect(drops).toEqual([]);
  });

  it('close() cancels operations and a catch-up in flight at once, without reporting a drop', async () => {
    const patient = new EventStoreDBStreamStore(hung, { deadlineMs: 600_000 });
    hung.blackHole = true;
    const append = patient
      .appendToStream('s', ExpectedVersion.Any, [
        { eventId: '00000000-0000-4000-8000-000000000001', type: 'E', data: '{}', metadata: '' },
      ])
      .catch((e: unknown) => e);
    const { drops, handlers } = recorder();
    const subscription = patient.subscribeToStream('s', { after: 'start' }, handlers);
    await patient.close();
    expect(await append).toMatchObject({
      constructor: EsdbOperationTimeoutError,
      operation: 'appendToStream',
      deadlineMs: undefined,
    });
    await subscription.close();
    expect(drops).toEqual([]);
    expect(hung.disposed).toBe(1);
  });

  it('closing one subscription cancels its stalled catch-up read', async () => {
    const patient = new EventStoreDBStreamStore(hung, { deadlineMs: 600_000 });
    hung.blackHole = true;
    const { drops, handlers } = recorder();
    const subscription = patient.subscribeToAll({ after: 'start' }, handlers);
    await eventually(() => hung.signals.length === 1, 'the catch-up read');
    await subscription.close();
    expect(hung.signals[0]!.aborted).toBe(true);
    expect(drops).toEqual([]);
    await patient.close();
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31])('refuses deadlineMs %p', (deadlineMs) => {
    expect(() => new EventStoreDBStreamStore(hung, { deadlineMs })).toThrow(/deadlineMs must be/);
  });
});
