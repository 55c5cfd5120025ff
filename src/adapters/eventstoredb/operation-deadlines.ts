import { EsdbOperationTimeoutError } from './eventstoredb.errors';

/** Default of `deadlineMs`: how long one store operation may take before it fails with `STORE_UNAVAILABLE`. */
export const DEFAULT_DEADLINE_MS = 10_000;

/** The largest delay `setTimeout` honours (a larger one fires at once): the most `deadlineMs` may be. */
export const MAX_DEADLINE_MS = 2_147_483_647;

/**
 * Puts every EventStoreDB operation under a deadline and lets `close()` cancel whatever is still in flight.
 *
 * Why the store needs its own: the client packages do not bound what matters. `@eventstore/db-client` sends reads
 * with `deadline: Infinity` whatever `defaultDeadline` says, and against a peer that accepts TCP and never answers
 * an append did not settle either (measured: still pending after 90 s with `defaultDeadline=2000`, and still after
 * `dispose()`). So the store races each operation against its own timer: on expiry (or on close) the operation's
 * {@link AbortSignal} aborts — adapters cancel the gRPC call where the client allows it — and the caller gets
 * {@link EsdbOperationTimeoutError} (`STORE_UNAVAILABLE`) at once, whatever the abandoned call does later.
 * @internal
 */
export class OperationDeadlines {
  /** Each operation in flight, with what to call it when it is cancelled. */
  private readonly inFlight = new Map<AbortController, () => EsdbOperationTimeoutError>();
  private closed = false;

  constructor(
    /** The deadline of one operation, in milliseconds. */
    readonly deadlineMs: number,
  ) {}

  /**
   * Runs `work` under the deadline. `work` receives a signal that aborts on expiry, on {@link cancelAll}, or when
   * `cancel` (a caller's own signal, e.g. a closing subscription's) aborts; it should stop its I/O then.
   */
  run<T>(
    operation: string,
    streamName: string,
    work: (signal: AbortSignal) => Promise<T>,
    cancel?: AbortSignal,
  ): Promise<T> {
    const cancelled = (): EsdbOperationTimeoutError =>
      new EsdbOperationTimeoutError(operation, streamName, undefined);
    if (this.closed || cancel?.aborted) return Promise.reject(cancelled());
    const controller = new AbortController();
    this.inFlight.set(controller, cancelled);
    return new Promise<T>((resolve, reject) => {
      const signal = controller.signal;
      const timer = setTimeout(
        () => controller.abort(new EsdbOperationTimeoutError(operation, streamName, this.deadlineMs)),
        this.deadlineMs,
      );
      const settle = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        cancel?.removeEventListener('abort', onCancel);
        this.inFlight.delete(controller);
      };
      // The caller gets the deadline (or cancellation) error at once; whatever the abandoned call does later
      // (typically failing with the cancellation itself) concerns nobody.
      const onAbort = (): void => {
        settle();
        reject(signal.reason);
      };
      const onCancel = (): void => controller.abort(cancelled());
      signal.addEventListener('abort', onAbort, { once: true });
      cancel?.addEventListener('abort', onCancel, { once: true });
      let pending: Promise<T>;
      try {
        pending = work(signal);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (value) => {
          if (signal.aborted) return;
          settle();
          resolve(value);
        },
        (error: unknown) => {
          if (signal.aborted) return;
          settle();
          reject(error);
        },
      );
    });
  }

  /** Refuses new operations and aborts every one in flight with a "store closed" error. Idempotent. */
  cancelAll(): void {
    this.closed = true;
    for (const [controller, cancelled] of [...this.inFlight]) controller.abort(cancelled());
    this.inFlight.clear();
  }
}

/** Resolves true when `pending` settles (either way) within `ms`, false when the time passed first. */
export async function settlesWithin(pending: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      pending.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
