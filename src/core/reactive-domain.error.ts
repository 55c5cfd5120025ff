/**
 * Base class of every error this library throws, returns or emits.
 *
 * Every subclass carries a stable, machine-readable {@link ReactiveDomainError.code}; match on `code` (or on the
 * class) rather than on the message text, which is written for humans and may change.
 *
 * Abstract for subclasses (each must declare its `code`), yet typed as constructible so that
 * `expect(fn).toThrow(ReactiveDomainError)` type-checks: see {@link ReactiveDomainError}.
 */
abstract class ReactiveDomainErrorBase extends Error {
  /** Stable identifier of the failure kind, e.g. `WRONG_EXPECTED_VERSION`. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Base class of every error this library throws, returns or emits (an instance of it). */
export type ReactiveDomainError = ReactiveDomainErrorBase;

/**
 * Base class of every error this library throws, returns or emits; extend it for your own errors (declare a
 * `readonly code`). Match on `code` (or on the class) rather than on the message text, which may change.
 *
 * Its value is typed as a concrete constructor as well as the abstract class, so that test matchers that want a
 * constructible class accept it (`expect(fn).toThrow(ReactiveDomainError)`, `rejects.toThrow(...)`) while
 * subclasses are still required to declare `code`. Construct subclasses, not this class: it has no `code`.
 */
export const ReactiveDomainError = ReactiveDomainErrorBase as typeof ReactiveDomainErrorBase &
  (new (message: string, options?: { cause?: unknown }) => ReactiveDomainErrorBase);

/** An argument is outside what the called API accepts (blank name, negative count, non-integer revision...). */
export class InvalidArgumentError extends ReactiveDomainError {
  readonly code: string = 'INVALID_ARGUMENT';
}

/** Renders a value for an error message without throwing on cycles or bigint. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `[function ${(value as { name?: string }).name || 'anonymous'}]`;
  if (value === null || typeof value !== 'object') return String(value);
  const ctor = (value as { constructor?: { name?: string } }).constructor;
  return ctor && ctor !== Object ? `[object ${ctor.name ?? 'Object'}]` : '[object]';
}

/**
 * Makes `keys` of an error non-enumerable: code still reads them (`error.command`, `error.event`), but
 * `JSON.stringify(error)` and log serializers that copy enumerable properties leave them out. For properties holding
 * a message or a stored event, whose fields may be personal data.
 */
export function keepOutOfLogs(error: Error, ...keys: readonly string[]): void {
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(error, key);
    if (descriptor?.enumerable) Object.defineProperty(error, key, { ...descriptor, enumerable: false });
  }
}
