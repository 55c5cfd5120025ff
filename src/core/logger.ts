/**
 * Structured fields of a log entry. `type` and `code` name what happened (the default logger uses them as the
 * warning's type and code); `err` is the error, as pino expects it.
 */
export interface LogFields {
  /** Kind of entry (e.g. an error class name); the default logger's warning type. */
  readonly type?: string;
  /** Stable code of the error, when there is one. */
  readonly code?: string;
  /** Longer detail (e.g. a cause's stack); the default logger's warning detail. */
  readonly detail?: string;
  /** The error being reported. */
  readonly err?: unknown;
  /** Anything else worth recording. */
  readonly [key: string]: unknown;
}

/**
 * Where the library reports operational messages (dropped subscriptions, unobserved failures, snapshot trouble).
 * The subset of pino's API the library calls: `logger.warn(fields, message)`; a pino logger fits as it is.
 */
export interface Logger {
  /** Something failed and nobody else was told. */
  error(fields: LogFields, message: string): void;
  /** Something went wrong that did not fail the caller's operation. */
  warn(fields: LogFields, message: string): void;
  /** Normal operation worth noting. */
  info(fields: LogFields, message: string): void;
  /** Detail for diagnosis. */
  debug(fields: LogFields, message: string): void;
}

/**
 * The default logger: `warn` and `error` become process warnings (`process.emitWarning`, printed on stderr once per
 * process by Node's default handler, observable with `process.on('warning')`), with `fields.type` as the warning
 * type (default `ReactiveDomainWarning`), `fields.code` and `fields.detail` — or, for an entry that is exactly an
 * error (`fields.err.message === message`, no `type`), that error itself. `info` and `debug` are dropped.
 */
export const processWarningLogger: Logger = {
  error: emitWarning,
  warn: emitWarning,
  info: () => undefined,
  debug: () => undefined,
};

function emitWarning(fields: LogFields, message: string): void {
  // An entry that is exactly an error (its message, no type) is emitted as that error, so `process.on('warning')`
  // observers receive the error object itself.
  if (fields.type === undefined && fields.err instanceof Error && fields.err.message === message) {
    process.emitWarning(fields.err);
    return;
  }
  // Otherwise strings only: Node refuses Error objects created in another realm (a Jest sandbox, a vm context).
  process.emitWarning(message, {
    type: fields.type ?? 'ReactiveDomainWarning',
    ...(fields.code === undefined ? {} : { code: fields.code }),
    ...(fields.detail === undefined ? {} : { detail: fields.detail }),
  });
}

let current: Logger = processWarningLogger;

/**
 * Sets the process-wide logger the library reports operational messages to (e.g. a pino logger); `undefined`
 * restores {@link processWarningLogger}.
 */
export function setLogger(logger: Logger | undefined): void {
  current = logger ?? processWarningLogger;
}

/** The process-wide logger (see {@link setLogger}). */
export function getLogger(): Logger {
  return current;
}

/**
 * Reports through the process-wide logger and never throws: a logger that fails falls back to a process warning,
 * because reporting a failure must not become one.
 */
export function logSafely(
  level: 'error' | 'warn' | 'info' | 'debug',
  fields: LogFields,
  message: string,
): void {
  try {
    current[level](fields, message);
  } catch (loggerError) {
    if (current === processWarningLogger) return;
    try {
      processWarningLogger[level](fields, message);
      processWarningLogger.warn(
        { type: 'ReactiveDomainLoggerError' },
        `the configured logger threw: ${loggerError instanceof Error ? loggerError.message : String(loggerError)}`,
      );
    } catch {
      // Nothing left to report with.
    }
  }
}

/** A cause as text for `LogFields.detail`: its stack, its message, or its string form. */
export function detailOf(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
}
