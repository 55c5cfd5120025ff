/**
 * The Kurrent rename trap, shown and guarded over real gRPC against the wire test server: `@kurrent/kurrentdb-client`
 * takes the append's expected state as `streamState`; the old `expectedRevision` option is silently ignored and the
 * append runs with ANY. The first test is the negative control (it shows the trap is real, so the second test can
 * fail); the second proves the adapter's conflict check reaches the server.
 */
import { newId } from '../../../src/core/id';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import { InMemoryStreamStore } from '../../../src/persistence/in-memory-stream-store';
import {
  StoreUnavailableError,
  WrongExpectedVersionError,
} from '../../../src/persistence/stream-store.errors';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import {
  loadKurrentClientModule,
  type KurrentDBClientAdapter,
} from '../../../src/adapters/eventstoredb/kurrentdb-client-adapter';
import { startEsdbTestServer, type EsdbTestServer } from '../../support/esdb-test-server';

const event = () => ({ eventId: newId(), type: 'Evt', data: '{"n":1}', metadata: '{}' });

let backing: InMemoryStreamStore;
let server: EsdbTestServer;
let store: EventStoreDBStreamStore;

beforeEach(async () => {
  backing = new InMemoryStreamStore();
  server = await startEsdbTestServer(backing, { protocol: '@kurrent/kurrentdb-client' });
  store = EventStoreDBStreamStore.fromConnectionString(`kurrentdb://127.0.0.1:${server.port}?tls=false`);
});

afterEach(async () => {
  await store.close();
  await server.close();
  await backing.close();
});

it('negative control: the raw Kurrent client ignores `expectedRevision` and appends despite the conflict', async () => {
  await store.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
  const client = (store.client as KurrentDBClientAdapter).client;
  const { jsonEvent } = loadKurrentClientModule();
  // The old option name, as code ported from @eventstore/db-client would pass it (untyped here on purpose).
  const legacyOptions = { expectedRevision: 'no_stream' } as Record<string, unknown>;
  await client.appendToStream('s-1', jsonEvent({ type: 'Evt', data: { n: 2 } }), legacyOptions);
  const read = await backing.readStream('s-1');
  expect(read.status === 'ok' && read.lastRevision).toBe(1);
});

it('the Kurrent adapter sends the expected state as streamState: the same conflict is detected', async () => {
  await store.appendToStream('s-1', ExpectedVersion.NoStream, [event()]);
  await expect(store.appendToStream('s-1', ExpectedVersion.NoStream, [event()])).rejects.toMatchObject({
    constructor: WrongExpectedVersionError,
    streamName: 's-1',
    expected: 'no_stream',
    actual: 0,
  });
  await expect(store.appendToStream('s-1', 3, [event()])).rejects.toMatchObject({ expected: 3, actual: 0 });
  const read = await backing.readStream('s-1');
  expect(read.status === 'ok' && read.lastRevision).toBe(0);
});

it('an unreachable server fails reads (native bridge) and appends (gRPC) with StoreUnavailableError', async () => {
  await server.close();
  await expect(store.readStream('s-1')).rejects.toBeInstanceOf(StoreUnavailableError);
  await expect(store.appendToStream('s-1', ExpectedVersion.Any, [event()])).rejects.toBeInstanceOf(
    StoreUnavailableError,
  );
});
