import { ReactiveDomainError } from '../../core/reactive-domain.error';

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

/** The optional client package needed by an adapter is not installed. */
export class ClientPackageMissingError extends ReactiveDomainError {
  readonly code = 'CLIENT_PACKAGE_MISSING';
  constructor(
    /** The npm package to install, e.g. `@kurrent/kurrentdb-client`. */
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The optional peer dependency ${packageName} is not installed: add it to your dependencies to use this adapter`,
      options,
    );
  }
}
