import type { RecordedEvent, StoreSubscription, SubscriptionHandlers } from './stream-store';
import { SubscriptionDroppedError } from './stream-store.errors';

/**
 * What an {@link InMemorySubscription} reads from; supplied by the store. Internal to the in-memory store.
 * @internal
 */
export interface InMemorySubscriptionSource {
  /** The log to read (a stream's events or `$all`), or undefined while the stream does not exist. */
  events(): readonly RecordedEvent[] | undefined;
  /** Whether the event should be delivered (filters, soft-delete truncation). */
  accept(event: RecordedEvent): boolean;
  /** An error that ends the subscription (a tombstoned stream), checked before each delivery. */
  failure(): SubscriptionDroppedError | undefined;
  /** Runs `task` later, never on the caller's stack (honours the store's pause and delay settings). */
  schedule(task: () => void): void;
  /** Forget the subscription (it stopped). */
  unregister(subscription: InMemorySubscription): void;
}

/** Hand control back to the event loop after this many deliveries, so a long catch-up cannot starve timers/IO. */
const YIELD_EVERY = 256;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One catch-up-then-live subscription of the in-memory store. The catch-up and live phases are the same loop:
 * the subscription reads the store's own arrays from its cursor, so there is no buffer to overflow and nothing
 * is copied. When it reaches the end it parks (`idle`); an append wakes it on a later macrotask.
 * @internal
 */
export class InMemorySubscription implements StoreSubscription {
  private state: 'idle' | 'scheduled' | 'running' | 'stopped' = 'idle';
  private live = false;
  private stopRequest: { readonly dropped?: SubscriptionDroppedError } | undefined;
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;

  /**
   * @param description  for error messages, e.g. `stream "order-1"` or `$all`.
   * @param cursor       index in the source log of the next event to consider.
   * @param liveAt       index at which every event that existed at subscription time has been considered.
   */
  constructor(
    readonly description: string,
    private readonly source: InMemorySubscriptionSource,
    private readonly handlers: SubscriptionHandlers,
    private cursor: number,
    private readonly liveAt: number,
  ) {}

  get isLive(): boolean {
    return this.live;
  }

  /** Starts delivery (asynchronously). Called once by the store after registration. */
  start(): void {
    this.state = 'scheduled';
    this.source.schedule(() => void this.run());
  }

  /** New events may be available: run again if parked. Cheap when already scheduled or running. */
  wake(): void {
    if (this.state !== 'idle') return;
    this.state = 'scheduled';
    this.source.schedule(() => void this.run());
  }

  close(): Promise<void> {
    return this.requestStop({});
  }

  /** Stops the subscription and reports `error` through `onDropped` once the running handler (if any) settled. */
  drop(error: SubscriptionDroppedError): Promise<void> {
    return this.requestStop({ dropped: error });
  }

  private requestStop(request: { readonly dropped?: SubscriptionDroppedError }): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopRequest = request;
    this.stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
    // A running loop notices the request after its current handler settles; otherwise stop right now.
    if (this.state !== 'running') this.finish();
    return this.stopped;
  }

  private async run(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'running';
    let delivered = 0;
    try {
      for (;;) {
        if (this.stopRequest) break;
        const failure = this.source.failure();
        if (failure) {
          this.stopRequest = { dropped: failure };
          this.stopped ??= new Promise<void>((resolve) => (this.resolveStopped = resolve));
          break;
        }
        if (!this.live && this.cursor >= this.liveAt) {
          this.live = true;
          this.handlers.onLive?.();
          continue; // re-check stop requests made by onLive
        }
        const events = this.source.events();
        if (events === undefined || this.cursor >= events.length) break;
        const event = events[this.cursor++]!;
        if (!this.source.accept(event)) continue;
        const pending = this.handlers.onEvent(event);
        if (pending !== undefined) await pending;
        if (++delivered % YIELD_EVERY === 0) await yieldToEventLoop();
      }
    } catch (error) {
      const dropped = new SubscriptionDroppedError(this.description, 'handler_error', { cause: error });
      if (!this.stopRequest?.dropped) this.stopRequest = { dropped };
      this.stopped ??= new Promise<void>((resolve) => (this.resolveStopped = resolve));
    }
    if (this.stopRequest) {
      this.finish();
      return;
    }
    // No await between the final length check and this line, so an append cannot slip in unnoticed.
    this.state = 'idle';
  }

  private finish(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.source.unregister(this);
    const dropped = this.stopRequest?.dropped;
    if (dropped) reportDrop(this.handlers, dropped);
    this.resolveStopped?.();
  }
}

/** Calls `onDropped`, or emits a process warning when there is none (or it throws): a drop is never silent. */
function reportDrop(handlers: SubscriptionHandlers, error: SubscriptionDroppedError): void {
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
 * Emits `error` as a process warning (type = error class name, code = error code). Passes strings only: Node
 * refuses Error objects created in another realm (a Jest sandbox, a vm context), and reporting must never throw.
 */
function warn(error: SubscriptionDroppedError, prefix: string): void {
  const cause = error.cause;
  process.emitWarning(prefix + error.message, {
    type: error.name,
    code: error.code,
    detail:
      cause instanceof Error
        ? (cause.stack ?? cause.message)
        : cause === undefined
          ? undefined
          : String(cause),
  });
}
