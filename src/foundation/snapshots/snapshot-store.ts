import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';

/** A snapshot as stored: the state of one aggregate as of one version. */
export interface StoredSnapshot {
  /** The aggregate class's registered `typeName`. */
  readonly aggregateType: string;
  /** The aggregate's id. */
  readonly aggregateId: string;
  /** Revision of the last event folded into the state. */
  readonly version: number;
  /** The aggregate class's `snapshotVersion` when the snapshot was taken. */
  readonly schemaVersion: number;
  /** JSON-safe state returned by `takeSnapshot()`. */
  readonly state: unknown;
  /** When the snapshot was taken (the repository's clock, after the save it follows). */
  readonly takenAt: Date;
}

/** Keeps the latest snapshot per aggregate stream. */
export interface SnapshotStore {
  /** The latest snapshot of the aggregate stored in `streamName`, or undefined. Throws on corrupt data. */
  load(streamName: string): Promise<StoredSnapshot | undefined>;
  /** Stores a snapshot, replacing the previous one for loads. */
  save(streamName: string, snapshot: StoredSnapshot): Promise<void>;
}

/** Decides when a save should also take a snapshot. */
export interface SnapshotPolicy {
  /** True when saving moved the aggregate from `previousVersion` to `newVersion` in a way that calls for a snapshot. */
  shouldSnapshot(previousVersion: number, newVersion: number): boolean;
}

/**
 * Snapshot whenever a save crosses a multiple of `n` events (versions are 0-based, so the snapshot after the
 * 100th event is at version 99).
 */
export function everyNEvents(n: number): SnapshotPolicy {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`everyNEvents(n): n must be a positive integer, got ${describeValue(n)}`);
  }
  return {
    shouldSnapshot: (previousVersion, newVersion) =>
      Math.floor((newVersion + 1) / n) > Math.floor((previousVersion + 1) / n),
  };
}
