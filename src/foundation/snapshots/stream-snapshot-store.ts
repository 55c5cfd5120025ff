import { newId } from '../../core/id';
import { ReactiveDomainError } from '../../core/reactive-domain.error';
import { ExpectedVersion } from '../../persistence/expected-version';
import type { StreamStore } from '../../persistence/stream-store';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store';

/** The event type of stored snapshots. `$`-prefixed, so `$all` readers (which skip system types) never see them. */
export const SNAPSHOT_EVENT_TYPE = '$snapshot';

/** A stored snapshot could not be read back. */
export class CorruptSnapshotError extends ReactiveDomainError {
  readonly code = 'CORRUPT_SNAPSHOT';
  constructor(
    /** The snapshot stream that was read (`<aggregate stream>.snapshots`). */
    readonly streamName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Snapshot for stream ${JSON.stringify(streamName)} is corrupt: ${reason}`, options);
  }
}

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
    const snapshotStream = StreamSnapshotStore.snapshotStreamOf(streamName);
    const result = await this.store.readStream(snapshotStream, {
      direction: 'backwards',
      fromRevision: 'end',
      maxCount: 1,
    });
    if (result.status !== 'ok' || result.events.length === 0) return undefined;
    return parseSnapshot(snapshotStream, result.events[0]!.data);
  }

  async save(streamName: string, snapshot: StoredSnapshot): Promise<void> {
    await this.store.appendToStream(StreamSnapshotStore.snapshotStreamOf(streamName), ExpectedVersion.Any, [
      { eventId: newId(), type: SNAPSHOT_EVENT_TYPE, data: JSON.stringify(snapshot), metadata: '{}' },
    ]);
  }
}

function parseSnapshot(streamName: string, text: string): StoredSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorruptSnapshotError(streamName, 'malformed JSON', { cause: error });
  }
  const s = value as Record<string, unknown>;
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.aggregateType !== 'string' ||
    typeof s.aggregateId !== 'string' ||
    !Number.isSafeInteger(s.version) ||
    !Number.isSafeInteger(s.schemaVersion) ||
    typeof s.takenAt !== 'string' ||
    !('state' in s)
  ) {
    throw new CorruptSnapshotError(streamName, 'missing or mistyped fields');
  }
  return {
    aggregateType: s.aggregateType,
    aggregateId: s.aggregateId,
    version: s.version as number,
    schemaVersion: s.schemaVersion as number,
    state: s.state,
    takenAt: new Date(s.takenAt),
  };
}
