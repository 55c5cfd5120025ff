import { newId } from '../../core/id';
import { ExpectedVersion } from '../../persistence/expected-version';
import type { StreamStore } from '../../persistence/stream-store';
import { assertSnapshotStreamName, decodeSnapshot, encodeSnapshot } from './snapshot-codec';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

/** The event type of stored snapshots. `$`-prefixed, so `$all` readers (which skip system types) never see them. */
export const SNAPSHOT_EVENT_TYPE = '$snapshot';

/**
 * Stores each aggregate's snapshots in a stream of their own, `<aggregate stream>.snapshots` (same store as the
 * events, no extra infrastructure). Loads read only the last event of that stream. Old snapshots stay in the
 * stream; on EventStoreDB set `$maxCount` on these streams to let the server scavenge them.
 */
export class StreamSnapshotStore implements SnapshotStore {
  constructor(private readonly store: StreamStore) {}

  /** Name of the snapshot stream of an aggregate stream. */
  static snapshotStreamOf(streamName: string): string {
    return `${streamName}.snapshots`;
  }

  async load(streamName: string): Promise<StoredSnapshot | undefined> {
    assertSnapshotStreamName(streamName, 'load');
    const snapshotStream = StreamSnapshotStore.snapshotStreamOf(streamName);
    const result = await this.store.readStream(snapshotStream, {
      direction: 'backwards',
      fromRevision: 'end',
      maxCount: 1,
    });
    if (result.status !== 'ok' || result.events.length === 0) return undefined;
    return decodeSnapshot(snapshotStream, result.events[0]!.data);
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    const data = encodeSnapshot(streamName, snapshot);
    await this.store.appendToStream(StreamSnapshotStore.snapshotStreamOf(streamName), ExpectedVersion.Any, [
      { eventId: newId(), type: SNAPSHOT_EVENT_TYPE, data, metadata: '{}' },
    ]);
  }
}
