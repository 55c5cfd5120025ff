import type { RecordedEvent, StreamStore } from '../../persistence/stream-store';
import { allFilterOf, type ListenerSource } from './listener-source';

const PAGE = 1000;

/**
 * Counts the events a listener on `source` would deliver from the start, as of now (used for rebuild progress).
 * Reads the events page by page (the store port has no count operation), so it costs one pass over the source.
 */
export async function countSourceEvents(store: StreamStore, source: ListenerSource): Promise<number> {
  let count = 0;
  if (source.kind === 'stream') {
    let from = 0;
    for (;;) {
      const result = await store.readStream(source.streamName, { fromRevision: from, maxCount: PAGE });
      if (result.status !== 'ok') return count;
      count += result.events.length;
      const last = result.events[result.events.length - 1];
      if (result.isEndOfStream || !last) return count;
      from = last.revision + 1;
    }
  }
  const filter = allFilterOf(source);
  const exact = source.kind === 'eventType' ? new Set(source.types) : undefined;
  let after: bigint | 'start' = 'start';
  for (;;) {
    const slice = await store.readAll(filter ? { after, maxCount: PAGE, filter } : { after, maxCount: PAGE });
    for (const event of slice.events) if (!exact || exact.has(event.type)) count++;
    const last: RecordedEvent | undefined = slice.events[slice.events.length - 1];
    if (slice.isEnd || !last) return count;
    after = last.position;
  }
}
