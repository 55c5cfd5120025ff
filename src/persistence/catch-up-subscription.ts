import { detailOf, logSafely } from '../core/logger';
import type { ChangeSignal } from './change-signal';
import type { RecordedEvent, StoreSubscription, SubscriptionHandlers } from './stream-store';
import { StoreUnavailableError, SubscriptionDroppedError } from './stream-store.errors';

/** A page of a subscription's source: events after the cursor, in order, and whether the end was reached. */
export interface CatchUpPage {
  /** Events after the cursor, in delivery order. */
  readonly events: readonly RecordedEvent[];
  /** True when no event followed the page at the time of the read. */
  readonly isEnd: boolean;
}

/**
 * Where a {@link CatchUpSubscription} reads from: owns the cursor (a revision or a position), so one loop serves
 * streams and `$all` on every store.
 */
export interface CatchUpSource {
  /** For error messages: `stream "order-1"` or `$all`. */
  readonly description: string;
  /**
   * Resolves the starting point (e.g. `'end'` to the current last event) and the live point (the last event that
   * existed when the subscription was opened). Called once, before the first page.
   */
  start(): Promise<void>;
  /**
   * Where `event` lies relative to the live point: negative before it, 0 at it, positive after it (appended after
   * the subscription was opened). Valid once {@link start} resolved.
   */
  compareToLivePoint(event: RecordedEvent): number;
  /** The next page after the cursor; moves the cursor past the events it returns. Rejects to end the subscription. */
  nextPage(): Promise<CatchUpPage>;
}

/** Options of a {@link CatchUpSubscription}. */
export interface CatchUpOptions {
  /** Wakes the subscription when the store committed something. */
  readonly changes: ChangeSignal;
  /** Re-read at least this often without a wake-up (appends by another process); undefined = only on wake-ups. */
  readonly pollIntervalMs: number | undefined;
  /** Called once the subscription stopped, however it stopped. */
  readonly onStopped: (subscription: CatchUpSubscription) => void;
}

/** Hand control back to the event loop after this many deliveries, so a long catch-up cannot starve timers/IO. */
const YIELD_EVERY = 256;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The one catch-up-then-live subscription every store can use: reads pages from an exclusive checkpoint until the
 * end, calls `onLive` once, then waits for a wake-up (the store's {@link ChangeSignal}, or polling with a bounded
 * interval) and reads again. Catch-up and live are the same loop, so there is no hand-over where an event could be
 * lost or doubled. Events are delivered one at a time; the next waits for `onEvent` to settle. A read error or a
 * handler error ends the subscription with a {@link SubscriptionDroppedError} reported through `onDropped` (or a
 * process warning): never silent. Delivery starts asynchronously, never on the caller's stack.
 */
export class CatchUpSubscription implements StoreSubscription {
  private live = false;
  private stopRequest: { readonly dropped?: SubscriptionDroppedError } | undefined;
  private readonly wakeUp = new AbortController();
  private readonly finished: Promise<void>;

  constructor(
    private readonly source: CatchUpSource,
    private readonly handlers: SubscriptionHandlers,
    private readonly options: CatchUpOptions,
  ) {
    this.finished = Promise.resolve().then(() => this.run());
  }

  /** True once `onLive` has been called. */
  get isLive(): boolean {
    return this.live;
  }

  /** For error messages: what the subscription follows. */
  get description(): string {
    return this.source.description;
  }

  /** Stops delivery after the running handler (if any) settled, without calling `onDropped`. Idempotent. */
  close(): Promise<void> {
    return this.requestStop({});
  }

  /** Stops delivery and reports `error` through `onDropped` once the running handler (if any) settled. */
  drop(error: SubscriptionDroppedError): Promise<void> {
    return this.requestStop({ dropped: error });
  }

  private requestStop(request: { readonly dropped?: SubscriptionDroppedError }): Promise<void> {
    this.stopRequest ??= request;
    this.wakeUp.abort();
    return this.finished;
  }

  private async run(): Promise<void> {
    try {
      await this.deliver();
    } catch (error) {
      this.stopRequest ??= { dropped: error as SubscriptionDroppedError };
    }
    this.options.onStopped(this);
    const dropped = this.stopRequest?.dropped;
    if (dropped) reportDrop(this.handlers, dropped);
  }

  /** The loop: returns when stopped; throws the drop error when the source or a handler failed. */
  private async deliver(): Promise<void> {
    await this.read(() => this.source.start());
    let delivered = 0;
    while (!this.stopRequest) {
      const seen = this.options.changes.version;
      const page = await this.read(() => this.source.nextPage());
      for (const event of page.events) {
        // Live means "the history that existed at the start is handled": signal it before anything newer.
        if (!this.live && this.source.compareToLivePoint(event) > 0) this.goLive();
        if (this.stopRequest) return;
        try {
          const pending = this.handlers.onEvent(event);
          if (pending !== undefined) await pending;
        } catch (error) {
          throw new SubscriptionDroppedError(this.description, 'handler_error', { cause: error });
        }
        if (!this.live && this.source.compareToLivePoint(event) === 0) this.goLive();
        if (++delivered % YIELD_EVERY === 0) await yieldToEventLoop();
      }
      if (!page.isEnd || this.stopRequest) continue;
      if (!this.live) {
        this.goLive();
        continue; // re-check the stop request and read once more: onLive may have appended
      }
      await this.options.changes.wait(seen, this.options.pollIntervalMs, this.wakeUp.signal);
    }
  }

  /** Signals live once; not after a stop was requested (a closed subscription says nothing more). */
  private goLive(): void {
    if (this.stopRequest) return;
    this.live = true;
    this.handlers.onLive?.();
  }

  /** Runs a read of the source; a failure becomes the drop error (unless the subscription is stopping anyway). */
  private async read<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SubscriptionDroppedError) throw error;
      const reason = error instanceof StoreUnavailableError ? 'connection_lost' : 'server_error';
      throw new SubscriptionDroppedError(this.description, reason, { cause: error });
    }
  }
}

/** Calls `onDropped`, or reports on the process-wide logger when there is none (or it throws): a drop is never silent. */
export function reportDrop(handlers: SubscriptionHandlers, error: SubscriptionDroppedError): void {
  if (handlers.onDropped) {
    try {
      handlers.onDropped(error);
      return;
    } catch (callbackError) {
      warn(
        new SubscriptionDroppedError(error.subscription, error.reason, { cause: callbackError }),
        'onDropped threw: ',
      );
    }
  }
  warn(error, '');
}

/**
 * Reports `error` on the process-wide logger (by default a process warning: type = error class name, code = error
 * code); reporting never throws.
 */
function warn(error: SubscriptionDroppedError, prefix: string): void {
  logSafely(
    'warn',
    { type: error.name, code: error.code, detail: detailOf(error.cause), err: error },
    prefix + error.message,
  );
}
