import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

/** Snapshots in a map (tests, single-process services). Keeps a deep copy so callers cannot mutate stored state. */
export class InMemorySnapshotStore implements SnapshotStore {
  private readonly snapshots = new Map<string, string>();

  async load(streamName: string): Promise<StoredSnapshot | undefined> {
    const text = this.snapshots.get(streamName);
    if (text === undefined) return undefined;
    const parsed = JSON.parse(text) as StoredSnapshot & { takenAt: string };
    return { ...parsed, takenAt: new Date(parsed.takenAt) };
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    this.snapshots.set(streamName, JSON.stringify(snapshot));
  }

  /** Number of aggregates with a snapshot. */
  get size(): number {
    return this.snapshots.size;
  }
}
