import type { RecordedEvent, StreamStore } from '../../persistence/stream-store';
import { checkpointOf, type Checkpoint } from '../subscriptions/checkpoint';
import {
  allFilterOf,
  checkpointKindOf,
  deliversFrom,
  type ListenerSource,
} from '../subscriptions/listener-source';

/** Events read per page when looking backwards for a position. */
const PAGE = 100;

/**
 * The store's end for `source`, as a checkpoint: the last event a listener on it could deliver (undefined: none).
 * For `$all`-based sources the end of `$all` itself is used — a checkpoint is a global position, and a position
 * past the last event of the whole log can only come from another (wiped or replaced) store.
 */
export async function endOf(store: StreamStore, source: ListenerSource): Promise<Checkpoint | undefined> {
  if (source.kind === 'stream') {
    const result = await store.readStream(source.streamName, {
      direction: 'backwards',
      fromRevision: 'end',
      maxCount: 1,
    });
    return result.status === 'ok' ? { kind: 'stream', revision: result.lastRevision } : undefined;
  }
  const last = (await store.readAll({ direction: 'backwards', after: 'end', maxCount: 1 })).events[0];
  return last ? { kind: 'all', position: last.position } : undefined;
}

/**
 * True when `checkpoint` lies past the store's `end` for its source. A stream that does not exist (never written,
 * or soft-deleted) is not "past the end": after a soft delete the stream keeps its revisions and may be written
 * again, so only an existing stream or a non-empty `$all` can prove a checkpoint wrong.
 */
export function isPastEnd(checkpoint: Checkpoint, end: Checkpoint | undefined): boolean {
  if (end === undefined) return checkpoint.kind === 'all';
  if (checkpoint.kind === 'stream' && end.kind === 'stream') return checkpoint.revision > end.revision;
  if (checkpoint.kind === 'all' && end.kind === 'all') return checkpoint.position > end.position;
  return false;
}

/**
 * The checkpoint a listener on `source` must reach to have handled every event of it at or before the global
 * `position`: the last such event's checkpoint, or undefined when the source holds none (nothing to wait for).
 * Needed because a filtered source's checkpoint moves only on its own events, so it may never equal `position`.
 */
export async function targetAtOrBefore(
  store: StreamStore,
  source: ListenerSource,
  position: bigint,
): Promise<Checkpoint | undefined> {
  const kind = checkpointKindOf(source);
  if (source.kind === 'stream') {
    let from: number | 'end' = 'end';
    for (;;) {
      const result = await store.readStream(source.streamName, {
        direction: 'backwards',
        fromRevision: from,
        maxCount: PAGE,
      });
      if (result.status !== 'ok') return undefined;
      const found = result.events.find((e) => e.position <= position && deliversFrom(source, e));
      if (found) return checkpointOf(found, kind);
      const oldest: RecordedEvent | undefined = result.events[result.events.length - 1];
      if (result.isEndOfStream || !oldest || oldest.revision === 0) return undefined;
      from = oldest.revision - 1;
    }
  }
  // Every read starts at a real event's position (stores may refuse others): the event AT `position` is found by
  // stepping back to the event before it, then one forward.
  const before = (await store.readAll({ direction: 'backwards', after: position, maxCount: 1 })).events[0];
  const at = (await store.readAll({ after: before ? before.position : 'start', maxCount: 1 })).events[0];
  if (at && at.position === position && deliversFrom(source, at)) return checkpointOf(at, kind);
  return lastBefore(store, source, position);
}

/** The checkpoint of the source's last event strictly before `position` (undefined: none). */
async function lastBefore(
  store: StreamStore,
  source: Exclude<ListenerSource, { kind: 'stream' }>,
  position: bigint,
): Promise<Checkpoint | undefined> {
  const filter = allFilterOf(source);
  let after = position;
  for (;;) {
    const slice = await store.readAll({
      direction: 'backwards',
      after,
      maxCount: PAGE,
      ...(filter ? { filter } : {}),
    });
    // An `eventType` source reads by type prefix: skip prefix-only matches to the exact one.
    const found = slice.events.find((e) => e.position < position && deliversFrom(source, e));
    if (found) return checkpointOf(found, 'all');
    const oldest = slice.events[slice.events.length - 1];
    if (slice.isEnd || !oldest) return undefined;
    after = oldest.position;
  }
}
