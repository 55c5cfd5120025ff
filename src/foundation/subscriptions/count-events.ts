import { readAllEvents, readStreamEvents } from '../../persistence/stream-readers';
import { StreamDeletedError } from '../../persistence/stream-store.errors';
import type { StreamStore } from '../../persistence/stream-store';
import { allFilterOf, type ListenerSource } from './listener-source';

const PAGE = 1000;

/**
 * Counts the events a listener on `source` would deliver from the start, as of now (used for rebuild progress).
 * Reads the events page by page (the store port has no count operation), so it costs one pass over the source.
 * A missing or tombstoned stream counts 0.
 */
export async function countSourceEvents(store: StreamStore, source: ListenerSource): Promise<number> {
  let count = 0;
  if (source.kind === 'stream') {
    try {
      for await (const _ of readStreamEvents(store, source.streamName, {
        pageSize: PAGE,
        ifMissing: 'empty',
      }))
        count++;
    } catch (error) {
      if (!(error instanceof StreamDeletedError)) throw error;
    }
    return count;
  }
  const filter = allFilterOf(source);
  const exact = source.kind === 'eventType' ? new Set(source.types) : undefined;
  for await (const event of readAllEvents(store, filter ? { filter, pageSize: PAGE } : { pageSize: PAGE }))
    if (!exact || exact.has(event.type)) count++;
  return count;
}
