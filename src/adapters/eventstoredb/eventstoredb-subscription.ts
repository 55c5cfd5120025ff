import type { RecordedEvent, StoreSubscription, SubscriptionHandlers } from '../../persistence/stream-store';
import { SubscriptionDroppedError, type SubscriptionDropReason } from '../../persistence/stream-store.errors';
import type { EsdbClientSubscription, EsdbRecordedEvent } from './esdb-client-port';

/**
 * What a catch-up-then-live subscription needs from the store; built per subscription by
 * {@link EventStoreDBStreamStore}. Internal.
 * @internal
 */
export interface CatchUpSource {
  /**
   * Delivers, through `deliver`, every matching event after the checkpoint that exists now (reading in pages), and
   * resolves once the end was reached. Stops early when `deliver` returns false.
   */
  catchUp(deliver: (event: RecordedEvent) => Promise<boolean>): Promise<void>;
  /** Opens the server subscription from the last checkpoint (exclusive). */
  openLive(): EsdbClientSubscription;
  /**
   * Converts a live event, or returns undefined to skip it (filtered out, or at/before the checkpoint — the
   * defensive de-duplication that makes the catch-up/live hand-over exact whatever the server's boundary semantics).
   */
  acceptLive(event: EsdbRecordedEvent): RecordedEvent | undefined;
  /** Maps a client error to the library's error and tells whether it means the connection was lost. */
  classify(error: unknown): { readonly error: unknown; readonly reason: SubscriptionDropReason };
}

/**
 * A catch-up-then-live subscription of {@link EventStoreDBStreamStore}.
 *
 * Catch-up reads pages up to the end, then `onLive` is called, then the server subscription is opened from the last
 * event seen (exclusive). This is independent of the server version: the client's `caughtUp` event exists only on
 * servers from 23.10 on, and this way `onLive` means exactly what the port promises — every event that existed when
 * the subscription started has been handled.
 *
 * Drops (server error, connection loss, the server ending the call, a handler error) are reported once through
 * `onDropped` — or `process.emitWarning` without it — and never silently. Reconnecting from the checkpoint is the job
 * of the read-model layer.
 * @internal
 */
export class EventStoreDBSubscription implements StoreSubscription {
  private live = false;
  private closed = false;
  private finished = false;
  private inHandler = false;
  private server: EsdbClientSubscription | undefined;
  private readonly done: Promise<void>;

  constructor(
    /** e.g. `stream "order-1"` or `$all`. */
    readonly description: string,
    private readonly source: CatchUpSource,
    private readonly handlers: SubscriptionHandlers,
    private readonly onStopped: (subscription: EventStoreDBSubscription) => void,
  ) {
    // The first read is issued right away, so that it reaches the server ahead of any append the caller makes
    // after subscribing (what "existed when the subscription started" means for a remote store). Handlers still
    // never run on the caller's stack: the first delivery comes after that read's response.
    this.done = this.run();
  }

  get isLive(): boolean {
    return this.live;
  }

  /**
   * Stops delivery and cancels the server call; resolves when no handler runs any more. Called from inside this
   * subscription's own `onEvent`, it resolves without waiting for that handler (which is awaiting it).
   */
  async close(): Promise<void> {
    this.closed = true;
    const server = this.server;
    // A failed cancel (e.g. the call never opened) changes nothing for the caller: delivery has stopped either way.
    if (server) await server.unsubscribe().catch(() => undefined);
    if (this.inHandler) return;
    await this.done;
  }

  private async run(): Promise<void> {
    try {
      if (this.closed) return;
      await this.source.catchUp((event) => this.deliver(event));
      if (this.closed || this.finished) return;
      this.live = true;
      try {
        this.handlers.onLive?.();
      } catch (error) {
        // The caller's callback failed, not the server: report it as the in-memory store does.
        this.drop('handler_error', error);
        return;
      }
      if (this.closed) return;
      const server = this.source.openLive();
      this.server = server;
      // close() may have run between openLive and the assignment above.
      if (this.closed) {
        await server.unsubscribe();
        return;
      }
      for await (const raw of server) {
        if (this.closed || this.finished) break;
        const event = this.source.acceptLive(raw);
        if (event === undefined) continue;
        if (!(await this.deliver(event))) break;
      }
      if (!this.closed && !this.finished) {
        this.drop('connection_lost', new Error(`The server ended the subscription to ${this.description}`));
      }
    } catch (error) {
      if (!this.closed && !this.finished) {
        const { error: mapped, reason } = this.source.classify(error);
        this.drop(reason, mapped);
      }
    } finally {
      this.finished = true;
      const server = this.server;
      if (server) await server.unsubscribe().catch(() => undefined);
      this.onStopped(this);
    }
  }

  /** Delivers one event; false when the subscription must stop. */
  private async deliver(event: RecordedEvent): Promise<boolean> {
    if (this.closed || this.finished) return false;
    this.inHandler = true;
    try {
      await this.handlers.onEvent(event);
    } catch (error) {
      this.drop('handler_error', error);
      return false;
    } finally {
      this.inHandler = false;
    }
    return !this.closed && !this.finished;
  }

  private drop(reason: SubscriptionDropReason, cause: unknown): void {
    if (this.finished) return;
    this.finished = true;
    const error = new SubscriptionDroppedError(this.description, reason, { cause });
    if (this.handlers.onDropped) {
      try {
        this.handlers.onDropped(error);
      } catch (callbackError) {
        process.emitWarning(new SubscriptionDroppedError(this.description, reason, { cause: callbackError }));
      }
    } else {
      process.emitWarning(error);
    }
  }
}
