/**
 * Deadlines, through the real `@eventstore/db-client` over real sockets: a server that accepts TCP and never answers
 * (a black hole), and the wire test server with calls of one kind stalled. Every operation must reject with a typed
 * `STORE_UNAVAILABLE` error, subscriptions must report a drop instead of staying silent, and close() must not wait
 * for the dead peer. Deadlines are short (300 ms); the waits are generous (Jest's timeout), and nothing asserts on
 * elapsed time.
 */
import { Event, EventTypeRegistry } from '../../../src/core';
import type { ReactiveDomainError } from '../../../src/core/reactive-domain.error';
import { ListenerSources, ReadModelBase } from '../../../src/foundation';
import { EventSerializer } from '../../../src/persistence/event-serializer';
import { newId } from '../../../src/core/id';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import type { EventData } from '../../../src/persistence/stream-store';
import {
  StoreUnavailableError,
  SubscriptionDroppedError,
} from '../../../src/persistence/stream-store.errors';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { EsdbOperationTimeoutError } from '../../../src/adapters/eventstoredb/eventstoredb.errors';
import { SubscriptionRecorder, eventually as waitUntil } from '../../../src/testing/contracts';
import {
  startBlackHoleServer,
  startEsdbTestServer,
  type BlackHoleServer,
  type EsdbTestServer,
} from '../../support/esdb-test-server';

jest.setTimeout(30_000);

const DEADLINE_MS = 300;
/** Against the wire test server the first call also sets up the channel: allow more on a loaded machine. */
const WIRE_DEADLINE_MS = 1_000;

const event = (): EventData => ({ eventId: newId(), type: 'Evt', data: '{"n":1}', metadata: '' });

/** Waits generously: the machine may be loaded (Jest's timeout is 30 s). */
const eventually = (check: () => boolean, what: string): Promise<void> => waitUntil(check, what, 20_000);

/** Records `stream:revision` per event and `live`, and the drops. */
const dropRecorder = (): SubscriptionRecorder =>
  new SubscriptionRecorder((e) => `${e.streamName}:${e.revision}`);

function expectTimeout(
  error: unknown,
  operation: string,
  streamName: string,
  deadlineMs = DEADLINE_MS,
): void {
  expect(error).toBeInstanceOf(EsdbOperationTimeoutError);
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', operation, streamName, deadlineMs });
  expect((error as Error).message).toContain(operation);
  expect((error as Error).message).toContain(JSON.stringify(streamName));
}

async function rejection(pending: Promise<unknown>): Promise<unknown> {
  try {
    await pending;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('against a server that accepts TCP and never answers', () => {
  let hole: BlackHoleServer;
  let store: EventStoreDBStreamStore;

  beforeEach(async () => {
    hole = await startBlackHoleServer();
    store = EventStoreDBStreamStore.fromConnectionString(`esdb://127.0.0.1:${hole.port}?tls=false`, {
      deadlineMs: DEADLINE_MS,
    });
  });

  afterEach(async () => {
    await store.close();
    await hole.close();
  });

  it('every operation rejects with EsdbOperationTimeoutError (STORE_UNAVAILABLE) naming the operation and stream', async () => {
    expectTimeout(
      await rejection(store.appendToStream('order-1', ExpectedVersion.Any, [event()])),
      'appendToStream',
      'order-1',
    );
    // It really connected (this is not the fast "connection refused" path), however loaded the machine is.
    await eventually(() => hole.accepted > 0, 'a TCP connection to the black hole');
    expect(
      (await rejection(store.appendToStream('order-1', ExpectedVersion.Any, [event()]))) as Error,
    ).toHaveProperty('message', expect.stringContaining('may or may not have been written'));
    expectTimeout(
      await rejection(store.appendToStream('order-1', ExpectedVersion.NoStream, [])),
      'appendToStream',
      'order-1',
    );
    expectTimeout(await rejection(store.readStream('order-1')), 'readStream', 'order-1');
    expectTimeout(
      await rejection(store.readStream('order-1', { direction: 'backwards' })),
      'readStream',
      'order-1',
    );
    expectTimeout(await rejection(store.readAll()), 'readAll', '$all');
    expectTimeout(
      await rejection(store.deleteStream('order-1', ExpectedVersion.Any)),
      'deleteStream',
      'order-1',
    );
    expectTimeout(
      await rejection(store.deleteStream('order-1', ExpectedVersion.StreamExists)),
      'deleteStream',
      'order-1',
    );
    expectTimeout(
      await rejection(store.tombstoneStream('order-1', ExpectedVersion.Any)),
      'tombstoneStream',
      'order-1',
    );
  });

  it('a subscription whose catch-up stalls reports a drop (connection_lost) instead of staying silent', async () => {
    const onStream = dropRecorder();
    const onAll = dropRecorder();
    const onEnd = dropRecorder();
    store.subscribeToStream('order-1', { after: 'start' }, onStream.handlers());
    store.subscribeToAll({ after: 'start' }, onAll.handlers());
    store.subscribeToStream('order-2', { after: 'end' }, onEnd.handlers());
    await eventually(
      () => onStream.drops.length > 0 && onAll.drops.length > 0 && onEnd.drops.length > 0,
      'three drops',
    );
    for (const [recorder, operation, stream] of [
      [onStream, 'subscribeToStream', 'order-1'],
      [onAll, 'subscribeToAll', '$all'],
      [onEnd, 'subscribeToStream', 'order-2'],
    ] as const) {
      expect(recorder.drops).toHaveLength(1);
      expect(recorder.drops[0]).toMatchObject({ code: 'SUBSCRIPTION_DROPPED', reason: 'connection_lost' });
      expectTimeout(recorder.drops[0]!.cause, operation, stream);
      expect(recorder.log).toEqual([]); // never went live
    }
  });

  it('close() returns without waiting for the dead peer and cancels operations in flight', async () => {
    // A deadline far beyond the test's timeout: only close() can end these operations in time.
    const patient = EventStoreDBStreamStore.fromConnectionString(`esdb://127.0.0.1:${hole.port}?tls=false`, {
      deadlineMs: 600_000,
    });
    const append = rejection(patient.appendToStream('order-1', ExpectedVersion.Any, [event()]));
    const read = rejection(patient.readStream('order-1'));
    const recorder = dropRecorder();
    const subscription = patient.subscribeToAll({ after: 'start' }, recorder.handlers());
    await eventually(() => hole.accepted > 0, 'the client connected');
    await patient.close();
    for (const [error, operation] of [
      [await append, 'appendToStream'],
      [await read, 'readStream'],
    ] as const) {
      expect(error).toBeInstanceOf(EsdbOperationTimeoutError);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', operation, deadlineMs: undefined });
      expect((error as Error).message).toContain('closed');
    }
    await subscription.close();
    expect(recorder.drops).toEqual([]); // closed by its owner: not a drop
    await expect(patient.readStream('order-1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('the connection string`s defaultDeadline becomes the store`s deadline when none is given', async () => {
    const fromString = EventStoreDBStreamStore.fromConnectionString(
      `esdb://127.0.0.1:${hole.port}?tls=false&defaultDeadline=${DEADLINE_MS}`,
    );
    try {
      expect(fromString.deadlineMs).toBe(DEADLINE_MS);
      expectTimeout(await rejection(fromString.readStream('s-1')), 'readStream', 's-1');
    } finally {
      await fromString.close();
    }
  });
});

describe('a read model over a server that never answers', () => {
  class Noted extends Event {
    constructor(readonly text: string) {
      super();
    }
  }
  const registry = new EventTypeRegistry().register(Noted, 'Noted');

  class Notes extends ReadModelBase {
    static override eventTypes = registry;
    readonly texts: string[] = [];
    constructor(store: EventStoreDBStreamStore, onError: (error: ReactiveDomainError) => void) {
      super('notes', {
        store,
        serializer: new EventSerializer({ registry }),
        onError,
        reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 1_000 },
      });
    }
    protected applyNoted(event: Noted): void {
      this.texts.push(event.text);
    }
  }

  it('reports the stalled catch-up as a dropped subscription, and stop() and close() return', async () => {
    const hole = await startBlackHoleServer();
    const store = EventStoreDBStreamStore.fromConnectionString(`esdb://127.0.0.1:${hole.port}?tls=false`, {
      deadlineMs: DEADLINE_MS,
    });
    const errors: ReactiveDomainError[] = [];
    const model = new Notes(store, (error) => errors.push(error));
    try {
      void model.start(ListenerSources.stream('notes-1')).catch(() => undefined);
      await eventually(() => errors.some((e) => e instanceof SubscriptionDroppedError), 'a reported drop');
      const drop = errors.find((e): e is SubscriptionDroppedError => e instanceof SubscriptionDroppedError)!;
      expect(drop.reason).toBe('connection_lost');
      expect(drop.cause).toBeInstanceOf(EsdbOperationTimeoutError);
      expect(model.status).toBe('catching-up');
      await model.stop();
      expect(model.status).toBe('stopped');
    } finally {
      await store.close();
      await hole.close();
    }
  });
});

describe('against the wire test server with calls stalled', () => {
  let backing: InMemoryStreamStore;
  let server: EsdbTestServer;
  let store: EventStoreDBStreamStore;

  beforeEach(async () => {
    backing = new InMemoryStreamStore();
    server = await startEsdbTestServer(backing, { protocol: '@eventstore/db-client' });
    store = EventStoreDBStreamStore.fromConnectionString(server.connectionString, {
      deadlineMs: WIRE_DEADLINE_MS,
      pageSize: 2,
    });
    // The first call connects the channel; do it before anything is stalled (a few tries on a loaded machine).
    for (let attempt = 1; ; attempt++) {
      try {
        await store.readStream('warm-up');
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  });

  afterEach(async () => {
    await store.close();
    await server.close();
    await backing.close();
  });

  it('a stalled append or delete rejects typed; the store answers again once the server does', async () => {
    await backing.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
    server.stall('append', 'delete');
    expectTimeout(
      await rejection(store.appendToStream('s-1', ExpectedVersion.Any, [event()])),
      'appendToStream',
      's-1',
      WIRE_DEADLINE_MS,
    );
    expectTimeout(
      await rejection(store.deleteStream('s-1', ExpectedVersion.Any)),
      'deleteStream',
      's-1',
      WIRE_DEADLINE_MS,
    );
    expectTimeout(
      await rejection(store.tombstoneStream('s-1', ExpectedVersion.Any)),
      'tombstoneStream',
      's-1',
      WIRE_DEADLINE_MS,
    );
    server.resume();
    await expect(store.appendToStream('s-1', 0, [event()])).resolves.toMatchObject({
      nextExpectedVersion: 1,
    });
  });

  it('a catch-up that stalls after progress reports a drop after the events it did deliver', async () => {
    await backing.appendToStream('s-1', ExpectedVersion.NoStream, [event(), event(), event()]);
    const recorder = dropRecorder();
    store.subscribeToStream(
      's-1',
      { after: 'start' },
      // The first page (2 events) arrives; then the server hangs on the next read.
      recorder.handlers((e) => {
        if (e.revision === 1) server.stall('read');
      }),
    );
    await eventually(() => recorder.drops.length > 0, 'the drop');
    expect(recorder.log).toEqual(['s-1:0', 's-1:1']);
    expect(recorder.drops[0]).toMatchObject({ reason: 'connection_lost' });
    expectTimeout(recorder.drops[0]!.cause, 'subscribeToStream', 's-1', WIRE_DEADLINE_MS);
  });

  it('a server subscription that is never confirmed is dropped after catch-up and onLive', async () => {
    await backing.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
    server.stall('subscribe');
    const recorder = dropRecorder();
    store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
    await eventually(() => recorder.drops.length > 0, 'the drop');
    expect(recorder.log).toEqual(['s-1:0', 'live']);
    expect(recorder.drops[0]).toMatchObject({ reason: 'connection_lost' });
    expectTimeout(recorder.drops[0]!.cause, 'subscribeToStream', 's-1', WIRE_DEADLINE_MS);
  });

  it('a confirmed live subscription that is merely quiet is not dropped', async () => {
    const recorder = dropRecorder();
    store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
    await eventually(() => server.openReadCalls === 1 && recorder.log.includes('live'), 'live');
    // Several deadlines pass without an event; then one arrives and is delivered.
    await new Promise((resolve) => setTimeout(resolve, WIRE_DEADLINE_MS * 2.5));
    await store.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
    await eventually(() => recorder.log.length === 2, 'the live event');
    expect(recorder.log).toEqual(['live', 's-1:0']);
    expect(recorder.drops).toEqual([]);
  });
});
