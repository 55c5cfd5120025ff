import { ReactiveDomainError } from '../../core/reactive-domain.error';
import type { RecordedEvent, StreamStore } from '../../persistence/stream-store';
import type { Checkpoint } from '../subscriptions/checkpoint';
import type { ReconnectOptions } from '../subscriptions/stream-listener';
import type { HandlerErrorPolicy } from './read-model-types';

/** One event handed to {@link EventProcessorHooks.apply}. */
export interface Delivery {
  /** The stored event. */
  readonly recorded: RecordedEvent;
  /** Key of the source that delivered it. */
  readonly source: string;
  /** The source's checkpoint once this event is applied. */
  readonly checkpoint: Checkpoint;
}

/**
 * Thrown by {@link EventProcessorHooks.apply} when handling one event of the batch failed: names the event, so the
 * processor applies its error policy to exactly that event. Any other error thrown by `apply` fails the processor
 * as it is (a storage failure is not an event's fault and is never parked).
 */
export class EventApplyError extends ReactiveDomainError {
  readonly code = 'EVENT_APPLY_FAILED';
  constructor(
    /** Index, in the batch, of the event whose handling failed. */
    readonly index: number,
    options: { cause: unknown },
  ) {
    super(`handling event ${index} of the batch failed`, options);
  }
}

/** What an {@link EventProcessor}'s owner does: handle events and keep checkpoints. */
export interface EventProcessorHooks {
  /** The stored checkpoints, by source key (empty when none). Called once; again only after a failed load. */
  loadCheckpoints(): Promise<ReadonlyMap<string, Checkpoint>>;
  /**
   * Handles `events` in order, as one unit. `checkpoints` is where each source of the batch stands once it is
   * applied (also for a batch emptied by parking): an owner that stores state and checkpoint together writes both
   * atomically here. Throw {@link EventApplyError} to name the event whose handler failed.
   */
  apply(events: readonly Delivery[], checkpoints: ReadonlyMap<string, Checkpoint>): void | Promise<void>;
  /**
   * Saves one source's checkpoint apart from the state (every `checkpointEvery` events, when idle, live and on
   * stop). Omit it when `apply` stores the checkpoints itself.
   */
  saveCheckpoint?(sourceKey: string, checkpoint: Checkpoint): Promise<void>;
  /** Drops the owner's state and its stored checkpoints, for a rebuild. */
  reset(): Promise<void>;
}

/** Options of an {@link EventProcessor}. */
export interface EventProcessorOptions {
  /** The owner's name, used in errors and messages. */
  readonly name: string;
  /** The event store the sources are read from and subscribed to. */
  readonly store: StreamStore;
  /** The owner's side: handling, checkpoints, reset. */
  readonly hooks: EventProcessorHooks;
  /** Events per `apply` call (default 1). A partial batch is applied after `batchDelayMs`, on live and on stop. */
  readonly batchSize?: number;
  /** Longest wait of a partial batch, in ms (default 10; only matters with `batchSize` > 1). */
  readonly batchDelayMs?: number;
  /** With `hooks.saveCheckpoint`: save after this many applied events per source (default 1). */
  readonly checkpointEvery?: number;
  /** With `hooks.saveCheckpoint`: quiet period after which pending checkpoints are saved (default 50 ms). */
  readonly checkpointIdleMs?: number;
  /** `fail` (default) or `park` (see `ReadModelOptions.onHandlerError`). */
  readonly onHandlerError?: HandlerErrorPolicy;
  /** Reconnection of the listeners after a dropped subscription. */
  readonly reconnect?: ReconnectOptions;
  /** Receives every reported error, besides `errors$`. */
  readonly onError?: (error: ReactiveDomainError) => void;
}
