import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { StoredSnapshot } from './snapshot-store';
import { CorruptSnapshotError } from './snapshot.errors';

/**
 * The one JSON form of a {@link StoredSnapshot}, shared by every snapshot store that keeps text (in memory, in a
 * stream, in a SQL column), so all of them refuse the same malformed snapshots and read back the same values.
 */

/**
 * Throws {@link InvalidArgumentError} unless `streamName` is a non-empty string (the `streamName` argument of
 * {@link SnapshotStore.load} and {@link SnapshotStore.save}).
 */
export function assertSnapshotStreamName(
  streamName: unknown,
  operation: 'load' | 'save',
): asserts streamName is string {
  if (typeof streamName !== 'string' || streamName.length === 0) {
    throw new InvalidArgumentError(
      `SnapshotStore.${operation}: streamName must be a non-empty string, got ${describeValue(streamName)}`,
    );
  }
}

/**
 * Checks a snapshot to save and returns its JSON text; {@link InvalidArgumentError} naming the stream and the field
 * when a field is missing or mistyped (`aggregateType`/`aggregateId` non-empty strings, `version` a safe integer
 * >= 0, `schemaVersion` a safe integer, `takenAt` a valid `Date`) or the state is not JSON-safe (`undefined`, a
 * `bigint`, a cycle). `takenAt` is stored as an ISO-8601 string.
 */
export function encodeSnapshot(streamName: unknown, snapshot: StoredSnapshot): string {
  assertSnapshotStreamName(streamName, 'save');
  const refuse = (reason: string, cause?: unknown): never => {
    throw new InvalidArgumentError(
      `SnapshotStore.save(${JSON.stringify(streamName)}): ${reason}`,
      cause === undefined ? undefined : { cause },
    );
  };
  if (typeof snapshot !== 'object' || snapshot === null)
    return refuse(`snapshot must be an object, got ${describeValue(snapshot)}`);
  const { aggregateType, aggregateId, version, schemaVersion, state, takenAt } = snapshot;
  if (typeof aggregateType !== 'string' || aggregateType.length === 0)
    refuse(`aggregateType must be a non-empty string, got ${describeValue(aggregateType)}`);
  if (typeof aggregateId !== 'string' || aggregateId.length === 0)
    refuse(`aggregateId must be a non-empty string, got ${describeValue(aggregateId)}`);
  if (!Number.isSafeInteger(version) || version < 0)
    refuse(`version must be a safe integer >= 0, got ${describeValue(version)}`);
  if (!Number.isSafeInteger(schemaVersion))
    refuse(`schemaVersion must be a safe integer, got ${describeValue(schemaVersion)}`);
  if (!(takenAt instanceof Date) || Number.isNaN(takenAt.getTime()))
    refuse(`takenAt must be a valid Date, got ${describeValue(takenAt)}`);
  if (state === undefined) refuse('state is undefined (takeSnapshot() must return JSON-safe state)');
  try {
    return JSON.stringify({
      aggregateType,
      aggregateId,
      version,
      schemaVersion,
      state,
      takenAt: takenAt.toISOString(),
    });
  } catch (error) {
    return refuse('state is not JSON-safe (a bigint or a cycle?)', error);
  }
}

/** Parses a snapshot's JSON text back, checking every field (stored data is untrusted): else {@link CorruptSnapshotError}. */
export function decodeSnapshot(streamName: string, text: string): StoredSnapshot {
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
  const takenAt = new Date(s.takenAt);
  if (Number.isNaN(takenAt.getTime()))
    throw new CorruptSnapshotError(streamName, `takenAt ${JSON.stringify(s.takenAt)} is not a date`);
  return {
    aggregateType: s.aggregateType,
    aggregateId: s.aggregateId,
    version: s.version as number,
    schemaVersion: s.schemaVersion as number,
    state: s.state,
    takenAt,
  };
}
