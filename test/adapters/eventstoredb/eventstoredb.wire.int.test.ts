/**
 * Behaviour beyond the contract, through the real `@eventstore/db-client` over gRPC against the wire test server:
 * how drops surface (server stopped, backing store drop, tombstone), an unreachable server, the concurrency check,
 * and the JSON cost documented on the adapter.
 */
import { newId } from '../../../src/core/id';
import { InvalidArgumentError } from '../../../src/core/reactive-domain.error';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import { FaultyStreamStore } from '../../../src/testing/faulty-stream-store';
import type { EventData } from '../../../src/persistence/stream-store';
import {
  StoreUnavailableError,
  StreamDeletedError,
  SubscriptionDroppedError,
  WrongExpectedVersionError,
} from '../../../src/persistence/stream-store.errors';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { SubscriptionRecorder as Recorder, eventually } from '../../../src/testing/contracts';
import { startEsdbTestServer, type EsdbTestServer } from '../../support/esdb-test-server';

const event = (data = '{"n":1}', metadata = '{"m":1}'): EventData => ({
  eventId: newId(),
  type: 'Evt',
  data,
  metadata,
});

let backing: FaultyStreamStore;
let server: EsdbTestServer;
let store: EventStoreDBStreamStore;

beforeEach(async () => {
  backing = new FaultyStreamStore(new InMemoryStreamStore());
  server = await startEsdbTestServer(backing, { protocol: '@eventstore/db-client' });
  store = EventStoreDBStreamStore.fromConnectionString(server.connectionString);
});

afterEach(async () => {
  await store.close();
  await server.close();
  await backing.close();
});

describe('subscription drops are reported, never silent', () => {
  it('stopping the server drops stream and $all subscriptions with reason connection_lost', async () => {
    const onStream = new Recorder();
    const onAll = new Recorder();
    store.subscribeToStream('s-1', { after: 'start' }, onStream.handlers());
    store.subscribeToAll({ after: 'start' }, onAll.handlers());
    await onStream.waitForLog(1);
    await onAll.waitForLog(1);
    await eventually(() => server.openReadCalls === 2, 'both server subscriptions open');
    await server.close();
    await eventually(() => onStream.drops.length > 0 && onAll.drops.length > 0, 'both drops');
    for (const drops of [onStream.drops, onAll.drops]) {
      expect(drops).toHaveLength(1);
      expect(drops[0]).toBeInstanceOf(SubscriptionDroppedError);
      expect(drops[0]!.reason).toBe('connection_lost');
    }
  });

  it('a server-side drop (sent as UNAVAILABLE) is reported as connection_lost', async () => {
    const recorder = new Recorder();
    store.subscribeToAll({ after: 'start' }, recorder.handlers());
    await recorder.waitForLog(1);
    await eventually(() => backing.subscriptionCount === 1, 'the server subscription');
    await backing.dropSubscriptions();
    await eventually(() => recorder.drops.length > 0, 'the drop');
    expect(recorder.drops[0]!.reason).toBe('connection_lost');
  });

  it('tombstoning the subscribed stream drops it with server_error caused by StreamDeletedError', async () => {
    await store.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
    const recorder = new Recorder();
    store.subscribeToStream('s-1', { after: 'start' }, recorder.handlers());
    await recorder.waitForLog(2);
    await eventually(() => backing.subscriptionCount === 1, 'the server subscription');
    await store.tombstoneStream('s-1', ExpectedVersion.Any);
    await eventually(() => recorder.drops.length > 0, 'the drop');
    expect(recorder.drops[0]!.reason).toBe('server_error');
    expect(recorder.drops[0]!.cause).toBeInstanceOf(StreamDeletedError);
  });
});

it('an unreachable server fails calls with StoreUnavailableError', async () => {
  await server.close();
  await expect(store.appendToStream('s-1', ExpectedVersion.Any, [event()])).rejects.toBeInstanceOf(
    StoreUnavailableError,
  );
  await expect(store.readStream('s-1')).rejects.toBeInstanceOf(StoreUnavailableError);
});

it('detects a concurrency conflict through @eventstore/db-client (expectedRevision reaches the server)', async () => {
  await store.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
  await expect(store.appendToStream('s-1', ExpectedVersion.NoStream, [event()])).rejects.toMatchObject({
    constructor: WrongExpectedVersionError,
    expected: 'no_stream',
    actual: 0,
  });
  await expect(store.appendToStream('s-1', 5, [event()])).rejects.toMatchObject({ expected: 5, actual: 0 });
  expect(
    (await backing.readStream('s-1')).status === 'ok' && (await backing.readStream('s-1')),
  ).toMatchObject({ lastRevision: 0 });
});

describe('JSON payloads (the documented cost of the JSON content type)', () => {
  it('data and metadata read back as canonical JSON: formatting is not preserved byte for byte', async () => {
    await store.appendToStream('s-1', ExpectedVersion.NoStream, [
      event('{ "b" : 1, "a" : [ 1.0, 2 ] }', '{ "m" : "x" }'),
    ]);
    // The backing store received the client's re-serialised payload (one parse + one stringify on write)...
    const stored = await backing.readStream('s-1');
    expect(stored.status === 'ok' && stored.events[0]!.data).toBe('{"b":1,"a":[1,2]}');
    // ...while metadata is sent as raw bytes,
    expect(stored.status === 'ok' && stored.events[0]!.metadata).toBe('{ "m" : "x" }');
    // and both are parsed by the client on read and re-serialised here.
    const read = await store.readStream('s-1');
    expect(read.status === 'ok' && read.events[0]).toMatchObject({
      data: '{"b":1,"a":[1,2]}',
      metadata: '{"m":"x"}',
    });
  });

  it('empty metadata round-trips as an empty string', async () => {
    await store.appendToStream('s-1', ExpectedVersion.NoStream, [event('{"a":1}', '')]);
    const read = await store.readStream('s-1');
    expect(read.status === 'ok' && read.events[0]!.metadata).toBe('');
  });

  it('data that is not JSON is refused before anything is sent (all or nothing)', async () => {
    await expect(
      store.appendToStream('s-1', ExpectedVersion.Any, [event(), event('{not json')]),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await backing.readStream('s-1')).toEqual({ status: 'not_found', streamName: 's-1' });
  });
});

it('fromEventStoreDBClient: close() leaves a caller-owned client usable (unless disposeClient is set)', async () => {
  const { EventStoreDBClient } = await import('@eventstore/db-client');
  const client = EventStoreDBClient.connectionString(server.connectionString);
  const borrowed = EventStoreDBStreamStore.fromEventStoreDBClient(client);
  await borrowed.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
  await borrowed.close();
  const owner = EventStoreDBStreamStore.fromEventStoreDBClient(client, { disposeClient: true });
  expect((await owner.readStream('s-1')).status).toBe('ok');
  await owner.close();
});
