/**
 * Error and expected-version mapping, with the client packages' REAL error classes (both packages), and the
 * expected-version option each adapter hands to its client (the Kurrent rename `expectedRevision` -> `streamState`
 * on append is the trap: the old name is silently ignored there).
 */
import * as esdb from '@eventstore/db-client';
import * as kurrent from '@kurrent/kurrentdb-client';
import { ExpectedVersion } from '../../../src/persistence/expected-version';
import {
  StoreUnavailableError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../../../src/persistence/stream-store.errors';
import { EventStoreDBClientAdapter } from '../../../src/adapters/eventstoredb/eventstore-db-client-adapter';
import { KurrentDBClientAdapter } from '../../../src/adapters/eventstoredb/kurrentdb-client-adapter';
import {
  fromEsdbExpectedState,
  mapClientError,
  revisionToNumber,
  toEsdbExpectedState,
} from '../../../src/adapters/eventstoredb/esdb-mapping';
import { RevisionOutOfRangeError } from '../../../src/adapters/eventstoredb/eventstoredb.errors';

const packages = [
  { name: '@eventstore/db-client', errors: esdb },
  { name: '@kurrent/kurrentdb-client', errors: kurrent },
] as const;

describe.each(packages)('mapClientError with the real error classes of $name', ({ errors }) => {
  it('maps WrongExpectedVersionError (actual revision) to ours, keeping our expected version and the cause', () => {
    const clientError = new errors.WrongExpectedVersionError(undefined, {
      streamName: 'order-1',
      expected: BigInt(3),
      current: BigInt(5),
    });
    const mapped = mapClientError(clientError, { streamName: 'order-1', expected: 3 });
    expect(mapped).toBeInstanceOf(WrongExpectedVersionError);
    expect(mapped).toMatchObject({ streamName: 'order-1', expected: 3, actual: 5, cause: clientError });
  });

  it("maps WrongExpectedVersionError with a missing stream to actual 'no_stream'", () => {
    const clientError = new errors.WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: 'stream_exists',
      current: 'no_stream',
    });
    expect(
      mapClientError(clientError, { streamName: 's', expected: ExpectedVersion.StreamExists }),
    ).toMatchObject({
      constructor: WrongExpectedVersionError,
      expected: 'stream_exists',
      actual: 'no_stream',
    });
  });

  it("maps the server's -1 actual version (error trailers) to 'no_stream'", () => {
    const clientError = new errors.WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: BigInt(0),
      current: BigInt(-1),
    });
    expect(mapClientError(clientError, { streamName: 's', expected: 0 })).toMatchObject({
      actual: 'no_stream',
    });
  });

  it('refuses an actual revision beyond Number.MAX_SAFE_INTEGER instead of rounding it', () => {
    const huge = BigInt(Number.MAX_SAFE_INTEGER) + 2n;
    const clientError = new errors.WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: BigInt(0),
      current: huge,
    });
    expect(() => mapClientError(clientError, { streamName: 's', expected: 0 })).toThrow(
      RevisionOutOfRangeError,
    );
  });

  it('maps StreamDeletedError to StreamDeletedError', () => {
    const clientError = errors.StreamDeletedError.fromStreamName('s');
    expect(mapClientError(clientError, { streamName: 's' })).toMatchObject({
      constructor: StreamDeletedError,
      streamName: 's',
      cause: clientError,
    });
  });

  it('maps StreamNotFoundError to StreamNotFoundError', () => {
    const clientError = new errors.StreamNotFoundError(undefined, 's');
    expect(mapClientError(clientError, { streamName: 's' })).toMatchObject({
      constructor: StreamNotFoundError,
      streamName: 's',
    });
  });

  it.each([
    ['UnavailableError', () => new errors.UnavailableError()],
    ['DeadlineExceededError', () => new errors.DeadlineExceededError()],
    ['CancelledError', () => new errors.CancelledError()],
  ])('maps %s to StoreUnavailableError', (_, create) => {
    const clientError = create();
    const mapped = mapClientError(clientError, { streamName: 's' });
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect(mapped).toMatchObject({ code: 'STORE_UNAVAILABLE', cause: clientError });
  });

  it('passes any other error through unchanged (nothing is hidden)', () => {
    const accessDenied = new errors.AccessDeniedError();
    expect(mapClientError(accessDenied, { streamName: 's' })).toBe(accessDenied);
    const plain = new Error('boom');
    expect(mapClientError(plain, { streamName: 's' })).toBe(plain);
  });
});

it('maps a raw gRPC UNAVAILABLE / DEADLINE_EXCEEDED status (not converted by the client) to StoreUnavailableError', () => {
  for (const code of [14, 4]) {
    const raw = Object.assign(new Error(`${code} status`), { code, details: 'x' });
    expect(mapClientError(raw, { streamName: 's' })).toMatchObject({
      constructor: StoreUnavailableError,
      cause: raw,
    });
  }
  const other = Object.assign(new Error('3 INVALID_ARGUMENT'), { code: 3 });
  expect(mapClientError(other, { streamName: 's' })).toBe(other);
});

it("maps Kurrent's StreamTombstonedError (a type the old package lacks) to StreamDeletedError", () => {
  const clientError = new kurrent.StreamTombstonedError(undefined as never, { stream: 's' } as never);
  expect(clientError.type).toBe('stream-tombstoned');
  expect(mapClientError(clientError, { streamName: 's' })).toBeInstanceOf(StreamDeletedError);
});

it('the two packages share error type strings but not classes (why mapping uses `type`, never instanceof)', () => {
  const a = new esdb.WrongExpectedVersionError(undefined, {
    streamName: 's',
    expected: 'any',
    current: BigInt(1),
  });
  const b = new kurrent.WrongExpectedVersionError(undefined, {
    streamName: 's',
    expected: 'any',
    current: BigInt(1),
  });
  expect(a.type).toBe(b.type);
  expect(a).not.toBeInstanceOf(kurrent.WrongExpectedVersionError);
  expect(a).toHaveProperty('actualVersion');
  expect(b).toHaveProperty('actualState');
});

describe('expected version <-> server expected state', () => {
  it.each([
    [ExpectedVersion.Any, 'any'],
    [ExpectedVersion.NoStream, 'no_stream'],
    [ExpectedVersion.StreamExists, 'stream_exists'],
    [0, 0n],
    [41, 41n],
    [Number.MAX_SAFE_INTEGER, BigInt(Number.MAX_SAFE_INTEGER)],
  ] as const)('%p <-> %p', (ours, theirs) => {
    expect(toEsdbExpectedState(ours)).toBe(theirs);
    expect(fromEsdbExpectedState(theirs, 's')).toBe(ours);
  });

  it('a server revision above Number.MAX_SAFE_INTEGER is a typed error naming stream and value', () => {
    const huge = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
    expect(() => revisionToNumber(huge, 'order-1')).toThrow(RevisionOutOfRangeError);
    expect(() => fromEsdbExpectedState(huge, 'order-1')).toThrow(/order-1.*9007199254740992/);
    expect(revisionToNumber(BigInt(Number.MAX_SAFE_INTEGER), 's')).toBe(Number.MAX_SAFE_INTEGER);
  });
});

/** Records the options each adapter passes to its client's appendToStream/deleteStream/tombstoneStream. */
function recordingClient() {
  const calls: { method: string; options: Record<string, unknown> }[] = [];
  const client = {
    appendToStream: async (_stream: string, _events: unknown, options: Record<string, unknown>) => {
      calls.push({ method: 'append', options });
      return { success: true, nextExpectedRevision: 0n, position: { commit: 1n, prepare: 1n } };
    },
    deleteStream: async (_stream: string, options: Record<string, unknown>) =>
      void calls.push({ method: 'delete', options }),
    tombstoneStream: async (_stream: string, options: Record<string, unknown>) =>
      void calls.push({ method: 'tombstone', options }),
  };
  return { calls, client };
}

const anEvent = { id: '0b6d8a4e-8c3e-4a43-9d7e-3f4c2a1b5e6f', type: 'T', data: '{"a":1}', metadata: '' };

describe('each adapter passes the expected state under its package option name', () => {
  it.each(['any', 'no_stream', 'stream_exists', 7n] as const)(
    '@eventstore/db-client: append with expectedRevision %p',
    async (expected) => {
      const { calls, client } = recordingClient();
      await new EventStoreDBClientAdapter(client as unknown as esdb.EventStoreDBClient).append(
        's',
        expected,
        [anEvent],
      );
      expect(calls).toEqual([{ method: 'append', options: { expectedRevision: expected } }]);
    },
  );

  it.each(['any', 'no_stream', 'stream_exists', 7n] as const)(
    '@kurrent/kurrentdb-client: append with streamState %p',
    async (expected) => {
      const { calls, client } = recordingClient();
      await new KurrentDBClientAdapter(client as unknown as kurrent.KurrentDBClient).append('s', expected, [
        anEvent,
      ]);
      expect(calls).toEqual([{ method: 'append', options: { streamState: expected } }]);
    },
  );

  it.each([
    [
      '@eventstore/db-client',
      (client: unknown) => new EventStoreDBClientAdapter(client as esdb.EventStoreDBClient),
    ],
    [
      '@kurrent/kurrentdb-client',
      (client: unknown) => new KurrentDBClientAdapter(client as kurrent.KurrentDBClient),
    ],
  ])('%s: delete and tombstone still take expectedRevision', async (_, create) => {
    const { calls, client } = recordingClient();
    const adapter = create(client);
    await adapter.deleteStream('s', 3n);
    await adapter.tombstoneStream('s', 'no_stream');
    expect(calls).toEqual([
      { method: 'delete', options: { expectedRevision: 3n } },
      { method: 'tombstone', options: { expectedRevision: 'no_stream' } },
    ]);
  });
});
