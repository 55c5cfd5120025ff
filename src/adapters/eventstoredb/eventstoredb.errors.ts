import { InvalidArgumentError, ReactiveDomainError } from '../../core/reactive-domain.error';
import { OptionalPackageMissingError } from '../../persistence/optional-package.errors';
import { StoreUnavailableError } from '../../persistence/stream-store.errors';

/**
 * The server reported a stream revision that does not fit in a JavaScript safe integer
 * (`Number.MAX_SAFE_INTEGER`). The library's revisions are `number`; rounding one silently would corrupt the
 * concurrency check, so the value is refused instead.
 */
export class RevisionOutOfRangeError extends ReactiveDomainError {
  readonly code = 'REVISION_OUT_OF_RANGE';
  constructor(
    /** The stream the revision belongs to. */
    readonly streamName: string,
    /** The revision as the server reported it. */
    readonly revision: bigint,
  ) {
    super(
      `Stream ${JSON.stringify(streamName)}: revision ${revision} reported by the server exceeds ` +
        `Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER}) and cannot be represented without rounding`,
    );
  }
}

/** The server (or client package) answered in a way this adapter cannot interpret; the operation did not complete. */
export class UnexpectedServerResponseError extends ReactiveDomainError {
  readonly code = 'UNEXPECTED_SERVER_RESPONSE';
}

/** The optional client package needed by an adapter is not installed (an {@link OptionalPackageMissingError}). */
export class ClientPackageMissingError extends OptionalPackageMissingError {
  override readonly code = 'CLIENT_PACKAGE_MISSING';
  constructor(
    /** The npm package to install, e.g. `@kurrent/kurrentdb-client`. */
    packageName: string,
    options?: { cause?: unknown },
  ) {
    super(packageName, 'the EventStoreDB adapter', options);
  }
}

/**
 * A connection string the adapter cannot use. `problem` names what is wrong by position and option name only: the
 * message never repeats any part of the string's authority (user, password, host, port) or any option value, so it
 * can be logged without leaking credentials.
 */
export class InvalidConnectionStringError extends InvalidArgumentError {
  override readonly code = 'INVALID_CONNECTION_STRING';
  constructor(
    /** What is wrong, e.g. `option "tls" must be true or false`. Never contains credentials. */
    readonly problem: string,
  ) {
    super(
      `Invalid EventStoreDB connection string: ${problem}. Expected e.g. esdb://localhost:2113?tls=false ` +
        `(or kurrentdb://, esdb+discover://, user:password@ before the host)`,
    );
  }
}

/**
 * An EventStoreDB operation did not finish within the store's deadline (`deadlineMs`), or was cancelled by
 * `close()`. It is a {@link StoreUnavailableError} (code `STORE_UNAVAILABLE`): retry later. For an append the outcome
 * is unknown — the server may have written it; a retry with the same event ids is idempotent on EventStoreDB.
 */
export class EsdbOperationTimeoutError extends StoreUnavailableError {
  constructor(
    /** The store operation, e.g. `appendToStream`. */
    readonly operation: string,
    /** The stream it was for (`$all` for `$all` reads and subscriptions). */
    readonly streamName: string,
    /** The deadline that passed, in milliseconds; `undefined` when `close()` cancelled the operation. */
    readonly deadlineMs: number | undefined,
  ) {
    super(
      deadlineMs === undefined
        ? `${operation}(${JSON.stringify(streamName)}) was cancelled: the EventStoreDB store was closed`
        : `EventStoreDB did not answer ${operation}(${JSON.stringify(streamName)}) within ${deadlineMs} ms ` +
            `(the store's deadlineMs)${operation === 'appendToStream' ? '; the append may or may not have been written' : ''}`,
    );
  }
}
