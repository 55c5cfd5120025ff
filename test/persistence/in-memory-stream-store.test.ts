import { FaultyStreamStore } from '../../src/testing/faulty-stream-store';
import { newId } from '../../src/core/id';
import { InvalidArgumentError } from '../../src/core/reactive-domain.error';
import {
  ExpectedVersion,
  InMemoryStreamStore,
  StoreUnavailableError,
  StreamDeletedError,
  SubscriptionDroppedError,
  WrongExpectedVersionError,
  type EventData,
  type ReadStreamResult,
  type StreamSlice,
} from '../../src/persistence';
import {
  SubscriptionRecorder as Recorder,
  eventually,
  sampleEvent as anEvent,
  sampleEvents as events,
} from '../../src/testing/contracts';

function slice(result: ReadStreamResult): StreamSlice {
  if (result.status !== 'ok') throw new Error(`expected a slice, got ${result.status}`);
  return result;
}

describe('InMemoryStreamStore (beyond the contract)', () => {
  let store: InMemoryStreamStore;
  beforeEach(() => {
    store = new InMemoryStreamStore();
  });
  afterEach(async () => {
    await store.close();
  });

  describe('live delivery is asynchronous', () => {
    it('never runs a handler on the stack of appendToStream, nor before the append has resolved', async () => {
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      await recorder.waitForLog(1); // live
      const append = store.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
      expect(recorder.log).toEqual(['live']);
      await append;
      expect(recorder.log).toEqual(['live']); // still not: delivery waits for a later macrotask
      await recorder.waitForLog(2);
      expect(recorder.log).toEqual(['live', '0']);
    });

    it('does not deliver before subscribe has returned its handle', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      expect(recorder.log).toEqual([]);
      await recorder.waitForLog(3);
    });
  });

  describe('records', () => {
    it('are frozen and share nothing mutable', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
      const event = slice(await store.readStream('s-1')).events[0]!;
      expect(Object.isFrozen(event)).toBe(true);
      expect(() => {
        (event as { revision: number }).revision = 9;
      }).toThrow(TypeError);
      expect(event.created).not.toBe(event.created); // a fresh Date on each access
    });

    it('returned arrays are fresh: mutating a slice does not change the store', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
      const first = slice(await store.readStream('s-1'));
      (first.events as unknown[]).length = 0;
      expect(slice(await store.readStream('s-1')).events).toHaveLength(2);
    });

    it('positions are opaque: strictly increasing with gaps, not counters', async () => {
      await store.appendToStream('a-1', ExpectedVersion.NoStream, events(2));
      const { events: all } = await store.readAll();
      expect(all[1]!.position - all[0]!.position).toBeGreaterThan(1n);
    });
  });

  describe('EventStoreDB details the contract does not pin down', () => {
    it('an empty append checks the version, writes nothing and reports -1 for a missing stream', async () => {
      expect(await store.appendToStream('s-1', ExpectedVersion.NoStream, [])).toEqual({
        nextExpectedVersion: -1,
        position: 0n,
      });
      expect((await store.readStream('s-1')).status).toBe('not_found');
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
      await expect(store.appendToStream('s-1', 0, [])).rejects.toBeInstanceOf(WrongExpectedVersionError);
      expect((await store.appendToStream('s-1', 1, [])).nextExpectedVersion).toBe(1);
    });

    it('soft-deleting a stream that was never written fails, whatever the expected version (actual no_stream)', async () => {
      for (const expected of [
        ExpectedVersion.Any,
        ExpectedVersion.NoStream,
        ExpectedVersion.StreamExists,
        0,
      ]) {
        await expect(store.deleteStream('never-1', expected)).rejects.toMatchObject({
          constructor: WrongExpectedVersionError,
          streamName: 'never-1',
          expected,
          actual: 'no_stream',
        });
      }
    });

    it('after a soft delete: Any deletes again, the last revision re-appends, StreamExists fails with no_stream', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
      await store.deleteStream('s-1', 1);
      await store.deleteStream('s-1', ExpectedVersion.Any);
      await expect(
        store.appendToStream('s-1', ExpectedVersion.StreamExists, events(1)),
      ).rejects.toMatchObject({
        expected: 'stream_exists',
        actual: 'no_stream',
      });
      await expect(store.appendToStream('s-1', 0, events(1))).rejects.toMatchObject({
        expected: 0,
        actual: 'no_stream',
      });
      expect((await store.appendToStream('s-1', 1, events(3))).nextExpectedVersion).toBe(4);
      expect(slice(await store.readStream('s-1', { fromRevision: 0 })).events.map((e) => e.revision)).toEqual(
        [2, 3, 4],
      );
    });

    it('tombstones a stream that was never written with Any or NoStream, not with StreamExists', async () => {
      await expect(store.tombstoneStream('never-1', ExpectedVersion.StreamExists)).rejects.toMatchObject({
        actual: 'no_stream',
      });
      await store.tombstoneStream('never-1', ExpectedVersion.NoStream);
      await store.tombstoneStream('never-2', ExpectedVersion.Any);
      expect((await store.readStream('never-1')).status).toBe('deleted');
      await expect(
        store.appendToStream('never-2', ExpectedVersion.NoStream, events(1)),
      ).rejects.toBeInstanceOf(StreamDeletedError);
    });

    it('soft-deleted and tombstoned events stay in $all; system event types ($...) never appear there', async () => {
      await store.appendToStream('a-1', ExpectedVersion.NoStream, events(1));
      await store.appendToStream('b-1', ExpectedVersion.NoStream, events(1));
      await store.appendToStream('c-1', ExpectedVersion.NoStream, [anEvent('$system')]);
      await store.deleteStream('a-1', 0);
      await store.tombstoneStream('b-1', 0);
      const all = await store.readAll();
      expect(all.events.map((e) => e.streamName)).toEqual(['a-1', 'b-1']);
      expect(slice(await store.readStream('c-1')).events.map((e) => e.type)).toEqual(['$system']);
    });

    it('a backward read from past the end starts at the last event', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(3));
      const read = slice(
        await store.readStream('s-1', { direction: 'backwards', fromRevision: 100, maxCount: 2 }),
      );
      expect(read.events.map((e) => e.revision)).toEqual([2, 1]);
    });

    it('readAll isEnd is exact even when a full page ends just before non-matching events', async () => {
      await store.appendToStream('a-1', ExpectedVersion.NoStream, events(2));
      await store.appendToStream('b-1', ExpectedVersion.NoStream, events(3));
      const read = await store.readAll({ maxCount: 2, filter: { on: 'streamName', prefixes: ['a-'] } });
      expect(read.events).toHaveLength(2);
      expect(read.isEnd).toBe(true);
    });

    it('a soft delete hides older events from a stream subscription that had not reached them', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(2));
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      // Delivery starts asynchronously: the delete and the append below happen before the subscription's first read.
      const deleted = store.deleteStream('s-1', 1);
      const appended = store.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
      await Promise.all([deleted, appended]);
      await recorder.waitForLog(2);
      expect(recorder.log).toEqual(['live', '2']);
    });

    it('tombstoning a stream drops its subscriptions (server_error, cause StreamDeletedError)', async () => {
      await store.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      await recorder.waitForLog(2);
      await store.tombstoneStream('s-1', 0);
      await eventually(() => recorder.drops.length === 1, 'the drop');
      expect(recorder.drops[0]).toMatchObject({ reason: 'server_error' });
      expect(recorder.drops[0]!.cause).toBeInstanceOf(StreamDeletedError);
      expect(store.subscriptionCount).toBe(0);
    });

    it('a subscription to an already tombstoned stream is dropped at once', async () => {
      await store.tombstoneStream('s-1', ExpectedVersion.Any);
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      await eventually(() => recorder.drops.length === 1, 'the drop');
      expect(recorder.log).toEqual([]);
    });
  });

  describe('fault injection (FaultyStreamStore around the in-memory store)', () => {
    let faulty: FaultyStreamStore;
    beforeEach(() => {
      faulty = new FaultyStreamStore(store);
    });

    it('failNextAppend fails exactly the next append (default StoreUnavailableError), writing nothing', async () => {
      faulty.failNextAppend();
      await expect(faulty.appendToStream('s-1', ExpectedVersion.NoStream, events(2))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect((await faulty.readStream('s-1')).status).toBe('not_found');
      expect((await faulty.readAll()).events).toEqual([]);
      expect(
        (await faulty.appendToStream('s-1', ExpectedVersion.NoStream, events(1))).nextExpectedVersion,
      ).toBe(0);
    });

    it('failNextAppend takes a custom error, and calls queue up', async () => {
      const first = new Error('first');
      const second = new Error('second');
      faulty.failNextAppend(first);
      faulty.failNextAppend(second);
      await expect(faulty.appendToStream('s-1', ExpectedVersion.Any, events(1))).rejects.toBe(first);
      await expect(faulty.appendToStream('s-1', ExpectedVersion.Any, events(1))).rejects.toBe(second);
      await faulty.appendToStream('s-1', ExpectedVersion.Any, events(1));
    });

    it('dropSubscriptions drops every running subscription with injected_fault, after its current handler', async () => {
      await faulty.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const busy = new Recorder();
      faulty.subscribeToStream(
        's-1',
        { after: 'start' },
        busy.handlers(() => gate),
      );
      const idle = new Recorder((e) => e.streamName);
      faulty.subscribeToAll({ after: 'end' }, idle.handlers());
      await busy.waitForLog(1);
      await idle.waitForLog(1);
      const dropping = faulty.dropSubscriptions();
      await eventually(() => idle.drops.length === 1, 'the idle drop');
      expect(busy.drops).toEqual([]); // its handler is still running
      release();
      await dropping;
      for (const recorder of [busy, idle]) {
        expect(recorder.drops).toHaveLength(1);
        expect(recorder.drops[0]).toBeInstanceOf(SubscriptionDroppedError);
        expect(recorder.drops[0]).toMatchObject({ reason: 'injected_fault' });
      }
      expect(faulty.subscriptionCount).toBe(0);
      await faulty.appendToStream('s-1', 0, events(1));
      expect(busy.log).toEqual(['0']);
    });

    it('pauseDelivery holds deliveries (appends go on) until resumeDelivery', async () => {
      const recorder = new Recorder();
      faulty.pauseDelivery();
      faulty.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      await faulty.appendToStream('s-1', ExpectedVersion.NoStream, events(3));
      await new Promise((resolve) => setImmediate(resolve));
      expect(recorder.log).toEqual([]);
      faulty.resumeDelivery();
      await recorder.waitForLog(4);
      // The three events came in while deliveries were held; they arrive in order once released.
      expect(recorder.log.filter((entry) => entry !== 'live')).toEqual(['0', '1', '2']);
      expect(recorder.log).toContain('live');
    });

    it('a drop without onDropped is reported with process.emitWarning', async () => {
      const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        faulty.subscribeToStream(
          's-1',
          { after: 'start' },
          {
            onEvent: () => {
              throw new Error('boom');
            },
          },
        );
        await faulty.appendToStream('s-1', ExpectedVersion.NoStream, events(1));
        await eventually(() => emitWarning.mock.calls.length > 0, 'the warning');
        expect(emitWarning).toHaveBeenCalledTimes(1);
        const [message, options] = emitWarning.mock.calls[0]! as [
          string,
          { type: string; code: string; detail: string },
        ];
        expect(message).toBe('Subscription to stream "s-1" dropped (handler_error)');
        expect(options).toMatchObject({ type: 'SubscriptionDroppedError', code: 'SUBSCRIPTION_DROPPED' });
        expect(options.detail).toContain('boom');
      } finally {
        emitWarning.mockRestore();
      }
    });

    it('an onDropped that throws is itself reported, and the drop too', async () => {
      const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        faulty.subscribeToAll(
          {},
          {
            onEvent: () => undefined,
            onDropped: () => {
              throw new Error('bad callback');
            },
          },
        );
        await faulty.dropSubscriptions('connection_lost');
        expect(emitWarning.mock.calls.map((call) => call[0])).toEqual([
          'onDropped threw: Subscription to $all dropped (connection_lost)',
          'Subscription to $all dropped (connection_lost)',
        ]);
      } finally {
        emitWarning.mockRestore();
      }
    });
  });

  describe('close', () => {
    it('stops subscriptions without drop reports; later calls reject with StoreUnavailableError', async () => {
      const recorder = new Recorder();
      store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
      await recorder.waitForLog(1);
      await store.close();
      await store.close();
      expect(recorder.drops).toEqual([]);
      expect(store.subscriptionCount).toBe(0);
      await expect(store.appendToStream('s-1', ExpectedVersion.Any, events(1))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      await expect(store.readStream('s-1')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(() => store.subscribeToAll({}, { onEvent: () => undefined })).toThrow(StoreUnavailableError);
    });
  });

  describe('argument validation', () => {
    const valid: EventData = anEvent();
    it.each([
      ['an empty stream name', () => store.appendToStream('', ExpectedVersion.Any, [valid])],
      ['$all as a stream', () => store.appendToStream('$all', ExpectedVersion.Any, [valid])],
      ['a negative expected version', () => store.appendToStream('s-1', -1 as never, [valid])],
      [
        'a non-UUID event id',
        () => store.appendToStream('s-1', ExpectedVersion.Any, [{ ...valid, eventId: 'x' }]),
      ],
      ['an empty type', () => store.appendToStream('s-1', ExpectedVersion.Any, [{ ...valid, type: '' }])],
      [
        'non-string data',
        () => store.appendToStream('s-1', ExpectedVersion.Any, [{ ...valid, data: {} as never }]),
      ],
      ['maxCount 0', () => store.readStream('s-1', { maxCount: 0 })],
      ['a fractional revision', () => store.readStream('s-1', { fromRevision: 1.5 })],
      ['a negative position', () => store.readAll({ after: -1n })],
      ['an empty filter', () => store.readAll({ filter: { on: 'streamName', prefixes: [] } })],
    ])('rejects %s with InvalidArgumentError', async (_, call) => {
      await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it('refuses $ce-/$et- projection streams (not modelled) instead of reading them as not found forever', async () => {
      await expect(store.readStream('$ce-account')).rejects.toThrow('categoryFilter');
      expect(() => store.subscribeToStream('$et-Deposited', {}, { onEvent: () => undefined })).toThrow(
        InvalidArgumentError,
      );
    });

    it('an invalid event in a batch writes none of the batch', async () => {
      await expect(
        store.appendToStream('s-1', ExpectedVersion.Any, [anEvent(), { ...anEvent(), eventId: 'nope' }]),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      expect((await store.readStream('s-1')).status).toBe('not_found');
    });

    it('subscribe rejects bad arguments synchronously', () => {
      expect(() => store.subscribeToStream('s-1', { after: -2 }, { onEvent: () => undefined })).toThrow(
        InvalidArgumentError,
      );
      expect(() => store.subscribeToAll({}, {} as never)).toThrow(InvalidArgumentError);
    });
  });

  it('handles a long catch-up without deep recursion and in order', async () => {
    const count = 20_000;
    for (let i = 0; i < count; i += 1000) {
      await store.appendToStream(
        'big-1',
        ExpectedVersion.Any,
        Array.from({ length: 1000 }, () => ({ ...anEvent(), eventId: newId() })),
      );
    }
    let expected = 0;
    let ordered = true;
    let live = false;
    store.subscribeToStream(
      'big-1',
      { after: 'start' },
      {
        onEvent: (event) => {
          if (event.revision !== expected++) ordered = false;
        },
        onLive: () => (live = true),
      },
    );
    await eventually(() => live, 'live');
    expect(expected).toBe(count);
    expect(ordered).toBe(true);
  });
});
