import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { TransportAbortedError, TransportTimeoutError } from './transport.errors';

/** Longest deadline a timer can hold. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Checks a deadline option. @throws InvalidArgumentError naming the option. */
export function validTimeoutMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      `${option} must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS}), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks a positive integer option. @throws InvalidArgumentError naming the option. */
export function validPositiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${option} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Races `work` against a deadline and the caller's signal: rejects with {@link TransportTimeoutError} or
 * {@link TransportAbortedError}. The work itself is not stopped (the driver's own state decides what it did).
 */
export function withDeadline<T>(
  transport: string,
  operation: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  work: Promise<T>,
): Promise<T> {
  if (signal?.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new TransportAbortedError(transport, operation, signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new TransportTimeoutError(transport, operation, timeoutMs));
    }, timeoutMs);
    const onAbort = (): void => {
      cleanup();
      reject(new TransportAbortedError(transport, operation, signal?.reason));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** Resolves after `ms` (unref'd: never keeps a process alive), or at once when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
