import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { reportDrop } from '../persistence/catch-up-subscription';
import type { ExpectedVersion } from '../persistence/expected-version';
import type {
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from '../persistence/stream-store';
import { assertHandlers } from '../persistence/stream-store-arguments';
import {
  StoreUnavailableError,
  SubscriptionDroppedError,
  type SubscriptionDropReason,
} from '../persistence/stream-store.errors';

/** Options of {@link FaultyStreamStore}. */
export interface FaultyStreamStoreOptions {
  /**
   * Delay, in milliseconds, before each delivery to a subscriber (default 0). Widens race windows in tests; never
   * use it to make a test wait.
   */
  readonly delayMs?: number;
}

/** A subscription opened through the wrapper: the inner one, and how to report an injected drop. */
interface FaultySubscription extends StoreSubscription {
  readonly description: string;
  drop(error: SubscriptionDroppedError): Promise<void>;
}

/**
 * Wraps ANY {@link StreamStore} and injects faults, so the drop/crash tests run against every store: fail the next
 * append ({@link failNextAppend}), drop every subscription ({@link dropSubscriptions}), hold deliveries
 * ({@link pauseDelivery} / {@link resumeDelivery}) and delay them (`delayMs`). Everything else passes through
 * unchanged, so the wrapped store's semantics (and argument checks) are what the code under test sees.
 *
 * @example
 * ```ts
 * const store = new FaultyStreamStore(new InMemoryStreamStore());
 * store.failNextAppend(); // the next append rejects with StoreUnavailableError, writing nothing
 * await store.dropSubscriptions(); // every subscriber's onDropped gets reason 'injected_fault'
 * ```
 */
export class FaultyStreamStore implements StreamStore {
  private readonly appendFaults: Error[] = [];
  private readonly subscriptions = new Set<FaultySubscription>();
  private readonly delayMs: number;
  private paused: (() => void)[] | undefined;

  /**
   * @param inner    the store to wrap (the wrapper closes it in {@link close}).
   * @param options  see {@link FaultyStreamStoreOptions}.
   */
  constructor(
    readonly inner: StreamStore,
    options: FaultyStreamStoreOptions = {},
  ) {
    const delay = options.delayMs ?? 0;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new InvalidArgumentError(`FaultyStreamStore: delayMs must be >= 0, got ${describeValue(delay)}`);
    }
    this.delayMs = delay;
  }

  // ---- faults --------------------------------------------------------------------------------------------------

  /**
   * Makes the next `appendToStream` call reject with `error` (default: a {@link StoreUnavailableError}) without
   * reaching the wrapped store, so nothing is written. Calls queue up: two calls fail the next two appends.
   */
  failNextAppend(error: Error = new StoreUnavailableError('Injected fault: append failed')): void {
    this.appendFaults.push(error);
  }

  /**
   * Drops every running subscription opened through the wrapper: each one's `onDropped` receives a
   * {@link SubscriptionDroppedError} with `reason` (default `'injected_fault'`) once its current handler (if any)
   * has settled. Resolves when all were notified.
   */
  async dropSubscriptions(reason: SubscriptionDropReason = 'injected_fault'): Promise<void> {
    await Promise.all(
      [...this.subscriptions].map((subscription) =>
        subscription.drop(
          new SubscriptionDroppedError(subscription.description, reason, {
            cause: new StoreUnavailableError(`Injected fault: subscription dropped (${reason})`),
          }),
        ),
      ),
    );
  }

  /** Holds every delivery (events and live signals) until {@link resumeDelivery}; appends and reads go on. */
  pauseDelivery(): void {
    this.paused ??= [];
  }

  /** Releases deliveries held by {@link pauseDelivery}, in the order they were held. */
  resumeDelivery(): void {
    const held = this.paused;
    this.paused = undefined;
    if (held) for (const release of held) release();
  }

  /** Number of subscriptions opened through the wrapper that are still running (not closed or dropped). */
  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  // ---- the StreamStore port ------------------------------------------------------------------------------------

  async appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    const fault = this.appendFaults.shift();
    if (fault) throw fault;
    return this.inner.appendToStream(streamName, expectedVersion, events);
  }

  readStream(streamName: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    return this.inner.readStream(streamName, options);
  }

  readAll(options?: ReadAllOptions): Promise<AllSlice> {
    return this.inner.readAll(options);
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.track(`stream ${JSON.stringify(streamName)}`, handlers, (wrapped) =>
      this.inner.subscribeToStream(streamName, options, wrapped),
    );
  }

  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    return this.track('$all', handlers, (wrapped) => this.inner.subscribeToAll(options, wrapped));
  }

  deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    return this.inner.deleteStream(streamName, expectedVersion);
  }

  tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    return this.inner.tombstoneStream(streamName, expectedVersion);
  }

  async close(): Promise<void> {
    this.resumeDelivery();
    await this.inner.close();
    this.subscriptions.clear();
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  /**
   * Opens the inner subscription with handlers that honour pause and delay, and returns a subscription that can
   * also be dropped on purpose. A dropped subscription closes the inner one first, so no event is delivered after
   * `onDropped`.
   */
  private track(
    description: string,
    handlers: SubscriptionHandlers,
    open: (wrapped: SubscriptionHandlers) => StoreSubscription,
  ): StoreSubscription {
    // Checked here: the wrapped handlers below would otherwise hide a missing onEvent from the inner store.
    assertHandlers(handlers, description);
    let stopped = false;
    let subscription: FaultySubscription | undefined = undefined;
    const forget = (): void => {
      stopped = true;
      if (subscription) this.subscriptions.delete(subscription);
    };
    const wrapped: SubscriptionHandlers = {
      onEvent: async (event: RecordedEvent) => {
        await this.gate();
        if (!stopped) await handlers.onEvent(event);
      },
      onLive: () => {
        void this.gate().then(() => {
          if (!stopped) handlers.onLive?.();
        });
      },
      onDropped: (error) => {
        if (stopped) return;
        forget();
        reportDrop(handlers, error);
      },
    };
    const inner = open(wrapped);
    subscription = {
      description,
      get isLive() {
        return inner.isLive;
      },
      close: async () => {
        forget();
        await inner.close();
      },
      drop: async (error) => {
        if (stopped) return;
        await inner.close();
        forget();
        reportDrop(handlers, error);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Resolves when a delivery may proceed: after the delay, and not while paused. */
  private async gate(): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    while (this.paused) {
      const held = this.paused;
      await new Promise<void>((resolve) => held.push(resolve));
    }
  }
}
