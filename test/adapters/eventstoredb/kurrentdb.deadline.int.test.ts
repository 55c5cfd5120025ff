/**
 * Deadlines through the real `@kurrent/kurrentdb-client` (its reads go through a native bridge that JavaScript
 * cannot cancel) against a server that accepts TCP and never answers: operations still reject typed within the
 * store's deadline, a subscription reports a drop, and close() returns. Its own file: the two client packages must
 * not share a process (see the wire test server).
 */
import { newId } from '../../../src/core/id';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import { EventStoreDBStreamStore } from '../../../src/adapters/eventstoredb/eventstoredb-stream-store';
import { EsdbOperationTimeoutError } from '../../../src/adapters/eventstoredb/eventstoredb.errors';
import { SubscriptionRecorder, eventually } from '../../../src/testing/contracts';
import { startBlackHoleServer, type BlackHoleServer } from '../../support/esdb-test-server';

jest.setTimeout(30_000);

const DEADLINE_MS = 300;

let hole: BlackHoleServer;
let store: EventStoreDBStreamStore;

beforeEach(async () => {
  hole = await startBlackHoleServer();
  store = EventStoreDBStreamStore.fromConnectionString(`kurrentdb://127.0.0.1:${hole.port}?tls=false`, {
    deadlineMs: DEADLINE_MS,
  });
});

afterEach(async () => {
  await store.close();
  await hole.close();
});

it('append, reads and deletes reject with EsdbOperationTimeoutError (STORE_UNAVAILABLE)', async () => {
  await expect(
    store.appendToStream('order-1', ExpectedVersion.Any, [
      { eventId: newId(), type: 'Evt', data: '{}', metadata: '' },
    ]),
  ).rejects.toMatchObject({
    constructor: EsdbOperationTimeoutError,
    code: 'STORE_UNAVAILABLE',
    operation: 'appendToStream',
    streamName: 'order-1',
  });
  await expect(store.readStream('order-1')).rejects.toMatchObject({
    code: 'STORE_UNAVAILABLE',
    operation: 'readStream',
  });
  await expect(store.readAll()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'readAll' });
  await expect(store.tombstoneStream('order-1', ExpectedVersion.Any)).rejects.toMatchObject({
    code: 'STORE_UNAVAILABLE',
    operation: 'tombstoneStream',
  });
});

it('a subscription over it reports a drop, and close() returns with a read in flight', async () => {
  const recorder = new SubscriptionRecorder();
  store.subscribeToAll({ after: 'start' }, recorder.handlers());
  await eventually(() => recorder.drops.length > 0, 'the drop', 20_000);
  expect(recorder.drops).toHaveLength(1);
  expect(recorder.drops[0]).toMatchObject({ reason: 'connection_lost' });
  expect(recorder.drops[0]!.cause).toBeInstanceOf(EsdbOperationTimeoutError);
  const patient = EventStoreDBStreamStore.fromConnectionString(
    `kurrentdb://127.0.0.1:${hole.port}?tls=false`,
    {
      deadlineMs: 600_000,
    },
  );
  const read = patient.readStream('order-1');
  await patient.close();
  await expect(read).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', deadlineMs: undefined });
});
