import { reportDrop } from '../../persistence/catch-up-subscription';
import type { RecordedEvent, StoreSubscription, SubscriptionHandlers } from '../../persistence/stream-store';
import { SubscriptionDroppedError, type SubscriptionDropReason } from '../../persistence/stream-store.errors';
import type { EsdbClientSubscription, EsdbRecordedEvent } from './esdb-client-port';
import { EsdbOperationTimeoutError } from './eventstoredb.errors';
import { settlesWithin, type OperationDeadlines } from './operation-deadlines';

/**
 * What a catch-up-then-live subscription needs from the store; built per subscription by
 * {@link EventStoreDBStreamStore}. Internal.
 * @internal
 */
export interface CatchUpSource {
  /** For messages: e.g. `stream "order-1"` or `$all`. */
  readonly description: string;
  /** The store operation, for deadline errors: `subscribeToStream` or `subscribeToAll`. */
  readonly operation: string;
  /** The stream (`$all` for `$all`), for deadline errors. */
  readonly streamName: string;
  /**
   * Reads the next page after the checkpoint and moves the checkpoint past it. `isEnd` once the end that exists now
   * was reached. Stops its I/O when `signal` aborts.
   */
  nextPage(
    signal: AbortSignal,
  ): Promise<{ readonly events: readonly RecordedEvent[]; readonly isEnd: boolean }>;
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
 * Catch-up reads pages up to the end (each read under the store's deadline; handlers run between reads and are not
 * timed), then `onLive` is called, then the server subscription is opened from the last event seen (exclusive). This
 * is independent of the server version: the client's `caughtUp` event exists only on servers from 23.10 on, and this
 * way `onLive` means exactly what the port promises — every event that existed when the subscription started has
 * been handled.
 *
 * Drops (server error, connection loss, the server ending the call, a handler error, a catch-up read or a server
 * confirmation that missed the deadline) are reported once through `onDropped` — or the process-wide logger without it,
 * as every store does (the shared `reportDrop`) — and never silently. Reconnecting from the checkpoint is the job
 * of the read-model layer.
 * @internal
 */
export class EventStoreDBSubscription implements StoreSubscription {
  private live = false;
  private closed = false;
  private finished = false;
  private inHandler = false;
  private server: EsdbClientSubscription | undefined;
  /** Aborts the catch-up read in flight when the subscription is closed. */
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly source: CatchUpSource,
    private readonly handlers: SubscriptionHandlers,
    private readonly deadlines: OperationDeadlines,
    private readonly onStopped: (subscription: EventStoreDBSubscription) => void,
  ) {
    // The first read is issued right away, so that it reaches the server ahead of any append the caller makes
    // after subscribing (what "existed when the subscription started" means for a remote store). Handlers still
    // never run on the caller's stack: the first delivery comes after that read's response.
    this.done = this.run();
  }

  /** e.g. `stream "order-1"` or `$all`. */
  get description(): string {
    return this.source.description;
  }

  get isLive(): boolean {
    return this.live;
  }

  /**
   * Stops delivery and cancels the server call (and a catch-up read in flight); resolves when no handler runs any
   * more. Called from inside this subscription's own `onEvent`, it resolves without waiting for that handler (which
   * is awaiting it).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    const server = this.server;
    // A failed cancel (e.g. the call never opened) changes nothing for the caller: delivery has stopped either way.
    if (server) await unsubscribeQuietly(server, this.deadlines.deadlineMs);
    if (this.inHandler) return;
    await this.done;
  }

  private async run(): Promise<void> {
    let watchdog: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        if (this.closed) return;
        const page = await this.deadlines.run(
          this.source.operation,
          this.source.streamName,
          (signal) => this.source.nextPage(signal),
          this.stopping.signal,
        );
        for (const event of page.events) {
          if (!(await this.deliver(event))) return;
        }
        if (page.isEnd) break;
      }
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
        await unsubscribeQuietly(server, this.deadlines.deadlineMs);
        return;
      }
      // A server that accepts the call and never confirms it must not look like a quiet stream.
      let confirmed = false;
      server.confirmed.then(
        () => (confirmed = true),
        () => undefined,
      );
      watchdog = setTimeout(() => {
        if (confirmed || this.closed || this.finished) return;
        this.drop(
          'connection_lost',
          new EsdbOperationTimeoutError(
            this.source.operation,
            this.source.streamName,
            this.deadlines.deadlineMs,
          ),
        );
        void unsubscribeQuietly(server, this.deadlines.deadlineMs);
      }, this.deadlines.deadlineMs);
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
      clearTimeout(watchdog);
      this.finished = true;
      const server = this.server;
      if (server) await unsubscribeQuietly(server, this.deadlines.deadlineMs);
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
    reportDrop(this.handlers, new SubscriptionDroppedError(this.description, reason, { cause }));
  }
}

/** Cancels a server subscription, waiting at most `deadlineMs` for the client (a dead peer must not hold us). */
async function unsubscribeQuietly(server: EsdbClientSubscription, deadlineMs: number): Promise<void> {
  await settlesWithin(server.unsubscribe(), deadlineMs);
}
