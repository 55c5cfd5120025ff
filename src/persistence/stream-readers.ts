import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import type { AllFilter, RecordedEvent, StreamStore } from './stream-store';
import { StreamDeletedError, StreamNotFoundError } from './stream-store.errors';

/** Options of {@link readStreamEvents}. */
export interface ReadStreamEventsOptions {
  /** First revision to yield (inclusive, default 0). */
  readonly fromRevision?: number;
  /** Last revision to yield (inclusive, default: the end of the stream). */
  readonly toRevision?: number;
  /** Events read per call to the store (default 500). */
  readonly pageSize?: number;
  /**
   * What a missing stream means: `'throw'` (default) throws {@link StreamNotFoundError}; `'empty'` yields nothing.
   * A tombstoned stream always throws {@link StreamDeletedError}.
   */
  readonly ifMissing?: 'throw' | 'empty';
}

/** Options of {@link readAllEvents}. */
export interface ReadAllEventsOptions {
  /** Start after this position (exclusive) or at `'start'` (default). */
  readonly after?: bigint | 'start';
  /** Only events matching this filter; all (non-system) events when omitted. */
  readonly filter?: AllFilter;
  /** Events read per call to the store (default 500). */
  readonly pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;

function assertPageSize(pageSize: unknown): number {
  if (pageSize === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof pageSize === 'number' && Number.isSafeInteger(pageSize) && pageSize > 0) return pageSize;
  throw new InvalidArgumentError(`pageSize must be a positive safe integer, got ${describeValue(pageSize)}`);
}

/**
 * Yields a stream's events forwards, page by page: at most one page is held in memory, so a stream of any length
 * can be folded. Stops at `toRevision` or at the end of the stream as it was when the last page was read.
 *
 * @example
 * for await (const event of readStreamEvents(store, 'account-1', { fromRevision: 10 })) apply(event);
 */
export async function* readStreamEvents(
  store: StreamStore,
  streamName: string,
  options: ReadStreamEventsOptions = {},
): AsyncGenerator<RecordedEvent, void, undefined> {
  const pageSize = assertPageSize(options.pageSize);
  const from = options.fromRevision ?? 0;
  const to = options.toRevision;
  if (!Number.isSafeInteger(from) || from < 0) {
    throw new InvalidArgumentError(
      `readStreamEvents(${JSON.stringify(streamName)}): fromRevision must be a safe integer >= 0, got ${describeValue(from)}`,
    );
  }
  if (to !== undefined && (!Number.isSafeInteger(to) || to < 0)) {
    throw new InvalidArgumentError(
      `readStreamEvents(${JSON.stringify(streamName)}): toRevision must be a safe integer >= 0, got ${describeValue(to)}`,
    );
  }
  let next = from;
  while (to === undefined || next <= to) {
    const maxCount = to === undefined ? pageSize : Math.min(pageSize, to - next + 1);
    const result = await store.readStream(streamName, { fromRevision: next, maxCount });
    if (result.status === 'deleted') throw new StreamDeletedError(streamName);
    if (result.status === 'not_found') {
      if (options.ifMissing === 'empty') return;
      throw new StreamNotFoundError(streamName);
    }
    for (const event of result.events) {
      if (to !== undefined && event.revision > to) return;
      yield event;
      next = event.revision + 1;
    }
    if (result.isEndOfStream || result.events.length === 0) return;
  }
}

/**
 * Yields `$all` forwards (optionally filtered) page by page, resuming each page after the last position seen, so
 * nothing is skipped or repeated. Ends at the end of `$all` as it was when the last page was read.
 */
export async function* readAllEvents(
  store: StreamStore,
  options: ReadAllEventsOptions = {},
): AsyncGenerator<RecordedEvent, void, undefined> {
  const maxCount = assertPageSize(options.pageSize);
  let after: bigint | 'start' = options.after ?? 'start';
  for (;;) {
    const slice = await store.readAll(
      options.filter === undefined ? { after, maxCount } : { after, maxCount, filter: options.filter },
    );
    for (const event of slice.events) {
      yield event;
      after = event.position;
    }
    if (slice.isEnd || slice.events.length === 0) return;
  }
}
