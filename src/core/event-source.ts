import type { CorrelatedMessage } from './message';

/**
 * Anything whose state is a fold of events, as a repository sees it (Reactive Domain's IEventSource).
 *
 * Numbering: `expectedVersion` is the 0-based revision of the last event applied from the store; -1 for a source
 * that has never been saved. Events raised but not saved (`pendingEvents`) do not count until `takeEvents()`.
 */
export interface EventSource<TId extends string = string> {
  /** The aggregate's id; together with its type it names the stream. */
  readonly id: TId;
  /** Revision of the last stored event applied; -1 when new. */
  readonly expectedVersion: number;
  /** Events raised since the last `takeEvents()`, oldest first (a read-only view; nothing is removed). */
  readonly pendingEvents: readonly object[];
  /** True when `pendingEvents` is not empty. */
  readonly hasRecordedEvents: boolean;
  /** Applies stored history, advancing the version by one per event. Throws when events are pending. */
  restoreFromEvents(events: Iterable<object>): void;
  /** Applies newer stored events to a loaded instance whose version must equal `expectedVersion`. */
  updateWithEvents(events: Iterable<object>, expectedVersion: number): void;
  /** Returns and clears the pending events, advancing the version by their count (call after a successful save). */
  takeEvents(): object[];
}

/** An event source that stamps correlation ids from the message it is handling (see `AggregateRoot`). */
export interface CorrelatedEventSource {
  /** The message being handled; raised events get its correlation id and its msgId as causation. */
  source: CorrelatedMessage | undefined;
}

/**
 * An aggregate that can be snapshotted. The snapshot is plain data (it is stored as JSON). When the snapshot
 * shape changes, bump the class's `snapshotVersion` (static): older snapshots are then ignored and the
 * aggregate is rebuilt from its events, never loaded with incompatible state.
 */
export interface SnapshotSource<TSnapshot = unknown> {
  /** The state to store. Must not include pending (unsaved) changes. */
  takeSnapshot(): TSnapshot;
  /** Replaces the state with a snapshot's. */
  restoreFromSnapshot(snapshot: TSnapshot): void;
}

/** True when `value` implements {@link SnapshotSource}. */
export function isSnapshotSource(value: unknown): value is SnapshotSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SnapshotSource).takeSnapshot === 'function' &&
    typeof (value as SnapshotSource).restoreFromSnapshot === 'function'
  );
}
