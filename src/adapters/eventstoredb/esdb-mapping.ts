import { ExpectedVersion } from '../../persistence/expected-version';
import {
  StoreUnavailableError,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '../../persistence/stream-store.errors';
import type { EsdbExpectedState } from './esdb-client-port';
import { RevisionOutOfRangeError } from './eventstoredb.errors';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Converts a server revision to the library's `number`, refusing values that would round. */
export function revisionToNumber(revision: bigint, streamName: string): number {
  if (revision < 0n || revision > MAX_SAFE) throw new RevisionOutOfRangeError(streamName, revision);
  return Number(revision);
}

/** Maps the library's expected version to the server's expected state (same strings, revisions as bigint). */
export function toEsdbExpectedState(expected: ExpectedVersion): EsdbExpectedState {
  switch (expected) {
    case ExpectedVersion.Any:
      return 'any';
    case ExpectedVersion.NoStream:
      return 'no_stream';
    case ExpectedVersion.StreamExists:
      return 'stream_exists';
    default:
      return BigInt(expected);
  }
}

/** Maps the server's expected state back to the library's expected version (range-checked). */
export function fromEsdbExpectedState(expected: EsdbExpectedState, streamName: string): ExpectedVersion {
  if (typeof expected === 'bigint') return revisionToNumber(expected, streamName);
  switch (expected) {
    case 'any':
      return ExpectedVersion.Any;
    case 'no_stream':
      return ExpectedVersion.NoStream;
    case 'stream_exists':
      return ExpectedVersion.StreamExists;
  }
}

/** Client error `type` strings (identical in `@eventstore/db-client` and `@kurrent/kurrentdb-client`). */
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'cancelled', 'not-leader']);

/** Where a client error happened, for the mapped error's fields and message. */
export interface ClientErrorContext {
  /** The stream operated on (`$all` for `$all` reads and subscriptions). */
  readonly streamName: string;
  /** The expected version of an append or delete; `ExpectedVersion.Any` is reported when omitted. */
  readonly expected?: ExpectedVersion;
}

/** The `type` string of a client package error, or `undefined` for anything else. */
export function clientErrorType(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

/**
 * The stream's actual revision carried by a client `WrongExpectedVersionError`: `actualVersion` in
 * `@eventstore/db-client`, `actualState` in `@kurrent/kurrentdb-client`. Negative values (the server's -1) and
 * `'no_stream'` mean the stream does not exist.
 */
function actualRevisionOf(error: object, streamName: string): number | 'no_stream' | undefined {
  const raw =
    (error as { actualVersion?: unknown; actualState?: unknown }).actualVersion ??
    (error as { actualState?: unknown }).actualState;
  if (typeof raw === 'bigint') return raw < 0n ? 'no_stream' : revisionToNumber(raw, streamName);
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw < 0 ? 'no_stream' : raw;
  if (raw === 'no_stream') return 'no_stream';
  return undefined;
}

/**
 * Maps a client package error to the library's error, by its `type` string (never `instanceof`: the two
 * packages' classes differ). Errors of any other kind are returned unchanged, so nothing is hidden.
 *
 * `stream-not-found` from a write means the operation required an existing stream.
 */
export function mapClientError(error: unknown, context: ClientErrorContext): unknown {
  const type = clientErrorType(error);
  if (type === undefined) {
    // Some client paths reject with the raw gRPC error (e.g. the server-features probe before an append).
    if (isConnectionLoss(error)) {
      const message = error instanceof Error ? error.message : String(error);
      return new StoreUnavailableError(
        `EventStoreDB is unavailable during an operation on ${JSON.stringify(context.streamName)}: ${message}`,
        {
          cause: error,
        },
      );
    }
    return error;
  }
  const { streamName } = context;
  switch (type) {
    case 'wrong-expected-version': {
      const actual = actualRevisionOf(error as object, streamName);
      return new WrongExpectedVersionError(
        streamName,
        context.expected ?? ExpectedVersion.Any,
        actual ?? 'no_stream',
        {
          cause: error,
        },
      );
    }
    case 'stream-deleted':
    case 'stream-tombstoned':
      return new StreamDeletedError(streamName, { cause: error });
    case 'stream-not-found':
      return new StreamNotFoundError(streamName, { cause: error });
    default:
      if (UNAVAILABLE_TYPES.has(type)) {
        const message = error instanceof Error ? error.message : String(error);
        return new StoreUnavailableError(
          `EventStoreDB is unavailable (${type}) during an operation on ${JSON.stringify(streamName)}: ${message}`,
          {
            cause: error,
          },
        );
      }
      return error;
  }
}

/** True when a client error means the connection was lost (as opposed to a server-side refusal). */
export function isConnectionLoss(error: unknown): boolean {
  const type = clientErrorType(error);
  if (type !== undefined) return UNAVAILABLE_TYPES.has(type);
  // Raw gRPC status errors (not converted by the client): 14 UNAVAILABLE, 1 CANCELLED, 4 DEADLINE_EXCEEDED.
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 14 || code === 1 || code === 4;
}
