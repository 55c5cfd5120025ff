import { assertSnapshotStreamName, decodeSnapshot, encodeSnapshot } from './snapshot-codec';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

/**
 * Snapshots in a map (tests, single-process services). Keeps each snapshot as JSON text, as a durable store would,
 * so callers cannot mutate stored state and tests exercise the round trip.
 */
export class InMemorySnapshotStore implements SnapshotStore {
  private readonly snapshots = new Map<string, string>();

  async load(streamName: string): Promise<StoredSnapshot | undefined> {
    assertSnapshotStreamName(streamName, 'load');
    const text = this.snapshots.get(streamName);
    return text === undefined ? undefined : decodeSnapshot(streamName, text);
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    this.snapshots.set(streamName, encodeSnapshot(streamName, snapshot));
  }

  /** Number of aggregates with a snapshot. */
  get size(): number {
    return this.snapshots.size;
  }
}
