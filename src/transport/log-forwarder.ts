import { logSafely } from '../core/logger';
import { InvalidArgumentError } from '../core/reactive-domain.error';
import { allCheckpoint, type Checkpoint } from '../foundation/subscriptions/checkpoint';
import type { CheckpointStore } from '../foundation/subscriptions/checkpoint-store';
import {
  allFilterOf,
  deliversFrom,
  describeSource,
  sourceKeyOf,
  type ListenerSource,
} from '../foundation/subscriptions/listener-source';
import type { RecordedEvent, StoreSubscription, StreamStore } from '../persistence/stream-store';
import { delay, validPositiveInteger, validTimeoutMs } from './deadline';
import { DEFAULT_PUBLISH_TIMEOUT_MS, type MessageTransport } from './message-transport';
import { defaultEventTopic, messageOfRecordedEvent } from './recorded-event-message';
import { ForwarderStoppedError } from './transport.errors';
import type { TransportMessage } from './transport-message';

/** Options of {@link LogForwarder}. */
export interface LogForwarderOptions {
  /** Name of the forwarder: its checkpoint is stored under it. */
  readonly name: string;
  /** The store whose log is forwarded. */
  readonly store: StreamStore;
  /** Where events are published. */
  readonly transport: MessageTransport;
  /** Where the forwarder's checkpoint (the last confirmed position) is kept. Use a durable store in production. */
  readonly checkpoints: CheckpointStore;
  /** What to forward: `$all` (default), a category or event types (`ListenerSources`); not a single stream. */
  readonly source?: ListenerSource;
  /** Topic of an event; default `events.<category>.<type>` ({@link defaultEventTopic}). */
  readonly topicOf?: (event: RecordedEvent) => string;
  /** Message of an event; default {@link messageOfRecordedEvent}. */
  readonly messageOf?: (event: RecordedEvent) => TransportMessage;
  /**
   * Publishes awaiting their confirmation at once (default 256). `1` keeps per-stream order even when a publish
   * fails while later ones succeed (see the class notes); higher values are much faster.
   */
  readonly maxInFlight?: number;
  /** Deadline of one publish's confirmation (default {@link DEFAULT_PUBLISH_TIMEOUT_MS}). */
  readonly publishTimeoutMs?: number;
  /** Save the checkpoint at most this often while events flow (default 200 ms); always on stop and on failure. */
  readonly checkpointIntervalMs?: number;
  /** Longest wait between retries after a failure (default 5 s; the first retry waits 100 ms, then doubling). */
  readonly maxRetryDelayMs?: number;
  /** Every failure (the forwarder keeps retrying). Default: a process warning. */
  readonly onError?: (error: ForwarderStoppedError) => void;
}

/** Counters of a {@link LogForwarder}. */
export interface LogForwarderStats {
  /** Publishes started (republished events count again). */
  readonly published: number;
  /** Events confirmed by the broker, in log order (the checkpoint follows this). */
  readonly confirmed: number;
  /** Failures (publish, store subscription) after which the forwarder restarted from its checkpoint. */
  readonly failures: number;
  /** Last position confirmed by the broker, or undefined before the first. */
  readonly confirmedPosition: bigint | undefined;
  /** Publishes awaiting their confirmation now. */
  readonly inFlight: number;
}

interface InFlight {
  readonly position: bigint;
  done: boolean;
  failed: boolean;
}

/**
 * The event log as the outbox: follows the store's `$all` (or a category or event types) from a durable
 * checkpoint and publishes every event to the transport, saving the checkpoint only for events the broker
 * confirmed. Events and published messages can therefore never disagree: an event is published at least once, on
 * any store, with no second table and no distributed transaction.
 *
 * - **At least once.** After a crash or a failed publish, forwarding resumes after the last confirmed position
 *   that was saved; events after it are published again. Receivers dedup by message id (= event id): see
 *   {@link InMemoryInboxStore} and `withInbox`. (NATS additionally drops republished ids within its duplicate
 *   window.)
 * - **Order.** Events are published in log order, so per-stream (and global) order holds on the broker, with
 *   `maxInFlight` publishes awaiting confirmation at once. When a publish fails, everything after it is published
 *   again in order; a later publish that had already been confirmed then arrives once early and again in order
 *   (the duplicate is absorbed by the inbox). With `maxInFlight: 1` even that cannot happen.
 * - **Failures** never stop it: each is reported to `onError`, then it restarts from the checkpoint with backoff.
 */
export class LogForwarder {
  private readonly source: Exclude<ListenerSource, { kind: 'stream' }>;
  private readonly sourceKey: string;
  private readonly maxInFlight: number;
  private readonly publishTimeoutMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly topicOf: (event: RecordedEvent) => string;
  private readonly messageOf: (event: RecordedEvent) => TransportMessage;
  private readonly onError: (error: ForwarderStoppedError) => void;

  private running = false;
  private stopping: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private subscription: StoreSubscription | undefined;
  private readonly inFlight: InFlight[] = [];
  private spaceWaiter: (() => void) | undefined;
  private failure: ((error: unknown) => void) | undefined;
  private confirmedPosition: bigint | undefined;
  private savedPosition: bigint | undefined;
  private lastSave = 0;
  private saving: Promise<void> | undefined;
  private counters = { published: 0, confirmed: 0, failures: 0 };
  private readonly waiters = new Set<{ position: bigint; resolve: () => void }>();
  private readonly wake = new AbortController();

  constructor(private readonly options: LogForwarderOptions) {
    const source = options.source ?? { kind: 'all' };
    if (source.kind === 'stream') {
      throw new InvalidArgumentError(
        `log forwarder ${options.name}: forward a category, event types or $all, not one stream`,
      );
    }
    if (typeof options.name !== 'string' || options.name.trim() === '') {
      throw new InvalidArgumentError('log forwarder: name must be a non-blank string');
    }
    this.source = source;
    this.sourceKey = sourceKeyOf(source);
    this.maxInFlight = validPositiveInteger(options.maxInFlight ?? 256, 'maxInFlight');
    this.publishTimeoutMs = validTimeoutMs(
      options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
      'publishTimeoutMs',
    );
    this.checkpointIntervalMs = validTimeoutMs(options.checkpointIntervalMs ?? 200, 'checkpointIntervalMs');
    this.maxRetryDelayMs = validTimeoutMs(options.maxRetryDelayMs ?? 5_000, 'maxRetryDelayMs');
    this.topicOf = options.topicOf ?? defaultEventTopic;
    this.messageOf = options.messageOf ?? messageOfRecordedEvent;
    this.onError =
      options.onError ??
      ((error) => logSafely('warn', { type: 'Warning', code: 'RD_FORWARDER', err: error }, error.message));
  }

  /** Counters and the confirmed position. */
  get stats(): LogForwarderStats {
    return { ...this.counters, confirmedPosition: this.confirmedPosition, inFlight: this.inFlight.length };
  }

  /** Starts forwarding from the stored checkpoint (from the start of the log when there is none). */
  async start(): Promise<void> {
    if (this.running || this.stopping)
      throw new InvalidArgumentError(`log forwarder ${this.options.name} was already started`);
    this.running = true;
    const stored = (await this.options.checkpoints.load(this.options.name)).get(this.sourceKey);
    if (stored && stored.kind !== 'all') {
      throw new InvalidArgumentError(
        `log forwarder ${this.options.name}: stored checkpoint is not a $all position`,
      );
    }
    this.confirmedPosition = this.savedPosition = stored?.position;
    this.loop = this.run();
  }

  /** Resolves once every event up to `position` (inclusive) is confirmed by the broker. */
  waitForPosition(position: bigint, timeoutMs = 30_000): Promise<void> {
    if (this.confirmedPosition !== undefined && this.confirmedPosition >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { position, resolve: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new ForwarderStoppedError(
            this.options.name,
            `position ${position} not confirmed within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      timer.unref(); // a wait must not keep a process alive on its own
      this.waiters.add(waiter);
    });
  }

  /** Stops: no new publishes, waits for those in flight, saves the checkpoint. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.wake.abort();
      this.failure?.(new Error('stopping'));
      await this.loop;
      await this.saveCheckpoint(true);
    })();
    return this.stopping;
  }

  /** Subscribe, forward until a failure, settle, back off, again; until stopped. */
  private async run(): Promise<void> {
    let retry = 0;
    while (this.running) {
      const confirmedBefore = this.counters.confirmed;
      const failed = await this.forwardUntilFailure();
      await this.drainInFlight();
      await this.saveCheckpoint(true).catch((error: unknown) =>
        this.report('saving the checkpoint failed', error),
      );
      if (!this.running) return;
      this.counters.failures++;
      this.report(
        `forwarding failed; restarting after position ${this.confirmedPosition ?? 'start'}`,
        failed,
      );
      if (this.counters.confirmed > confirmedBefore) retry = 0; // it made progress: a new failure, not the same one
      await delay(Math.min(100 * 2 ** retry++, this.maxRetryDelayMs), this.wake.signal);
    }
  }

  /** One store subscription; resolves with the error that ended it. */
  private forwardUntilFailure(): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      let ended = false;
      const end = (error: unknown): void => {
        if (ended) return;
        ended = true;
        this.failure = undefined;
        this.spaceWaiter?.();
        const subscription = this.subscription;
        this.subscription = undefined;
        void (subscription?.close() ?? Promise.resolve()).then(() => resolve(error));
      };
      this.failure = end;
      const filter = allFilterOf(this.source);
      const after = this.confirmedPosition ?? 'start';
      try {
        this.subscription = this.options.store.subscribeToAll(filter ? { after, filter } : { after }, {
          onEvent: (event) => (ended ? undefined : this.forward(event)),
          onDropped: (error) => end(error),
        });
      } catch (error) {
        end(error);
      }
    });
  }

  private async forward(event: RecordedEvent): Promise<void> {
    if (!deliversFrom(this.source, event)) return;
    const entry: InFlight = { position: event.position, done: false, failed: false };
    this.inFlight.push(entry);
    this.counters.published++;
    let publishing: Promise<void>;
    try {
      publishing = this.options.transport.publish(this.topicOf(event), this.messageOf(event), {
        timeoutMs: this.publishTimeoutMs,
      });
    } catch (error) {
      publishing = Promise.reject(error);
    }
    publishing.then(
      () => {
        entry.done = true;
        this.advance();
      },
      (error: unknown) => {
        entry.failed = true;
        this.failure?.(error);
      },
    );
    while (this.inFlight.length >= this.maxInFlight && this.failure) {
      await new Promise<void>((resolve) => (this.spaceWaiter = resolve));
    }
  }

  /** Moves the confirmed position over the confirmed head of the in-flight list. */
  private advance(): void {
    let moved = false;
    while (this.inFlight[0]?.done) {
      this.confirmedPosition = (this.inFlight.shift() as InFlight).position;
      this.counters.confirmed++;
      moved = true;
    }
    if (!moved) return;
    if (this.inFlight.length < this.maxInFlight) {
      const waiter = this.spaceWaiter;
      this.spaceWaiter = undefined;
      waiter?.();
    }
    const confirmed = this.confirmedPosition as bigint;
    for (const waiter of this.waiters) {
      if (confirmed >= waiter.position) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
    if (Date.now() - this.lastSave >= this.checkpointIntervalMs) {
      void this.saveCheckpoint(false).catch((error: unknown) => this.failure?.(error));
    }
  }

  /** Waits for every publish in flight to settle (bounded by the publish deadline), then forgets the unconfirmed. */
  private async drainInFlight(): Promise<void> {
    const deadline = Date.now() + this.publishTimeoutMs + 1_000;
    while (this.inFlight.some((e) => !e.done && !e.failed) && Date.now() < deadline) await delay(10);
    this.advance();
    this.inFlight.length = 0;
  }

  private async saveCheckpoint(force: boolean): Promise<void> {
    if (this.saving) {
      await this.saving;
      if (!force) return;
    }
    const position = this.confirmedPosition;
    if (position === undefined || position === this.savedPosition) return;
    this.lastSave = Date.now();
    const checkpoint: Checkpoint = allCheckpoint(position);
    this.saving = this.options.checkpoints
      .save(this.options.name, this.sourceKey, checkpoint)
      .then(() => {
        if (this.savedPosition === undefined || position > this.savedPosition) this.savedPosition = position;
      })
      .finally(() => (this.saving = undefined));
    await this.saving;
  }

  private report(message: string, cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.onError(
      new ForwarderStoppedError(this.options.name, `${message} (${describeSource(this.source)}): ${reason}`, {
        cause,
      }),
    );
  }
}
