import { isUuid } from '../core/id';
import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import { ExpectedVersion } from './expected-version';
import type { EventData, SubscriptionHandlers } from './stream-store';
import { WrongExpectedVersionError } from './stream-store.errors';

/**
 * Argument checks shared by every {@link StreamStore} implementation, so that each store refuses the same malformed
 * calls with the same messages (the contract suite checks them against every store). Internal to the library.
 */

/** `maxCount` of a read when the caller gives none. */
export const DEFAULT_MAX_COUNT = 500;

/** A NUL character, or a high surrogate not followed by a low one, or a low one not preceded by a high one. */
const NOT_UTF8_SAFE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function assertStreamName(streamName: unknown): asserts streamName is string {
  if (typeof streamName !== 'string' || streamName.length === 0 || streamName.trim() !== streamName) {
    throw new InvalidArgumentError(
      `Stream name must be a non-blank string without surrounding spaces, got ${describeValue(streamName)}`,
    );
  }
  if (streamName === '$all')
    throw new InvalidArgumentError('"$all" is not a stream: use readAll/subscribeToAll');
  // NUL ends a C string in drivers and files; a lone surrogate is not valid UTF-8, so a SQL or gRPC store would
  // store a different name than the one appended (or refuse it): refuse it everywhere, first.
  if (NOT_UTF8_SAFE.test(streamName)) {
    throw new InvalidArgumentError(
      `Stream name ${JSON.stringify(streamName)} contains a NUL character or a lone surrogate (not valid UTF-8)`,
    );
  }
}

/** EventStoreDB's system projection streams, written only by the server: `$ce-<category>` and `$et-<type>`. */
function isProjectionStream(streamName: string): boolean {
  return streamName.startsWith('$ce-') || streamName.startsWith('$et-');
}

/** A stream that may be appended to, deleted or tombstoned: a valid name, not a system projection stream. */
export function assertWritableStream(streamName: unknown): asserts streamName is string {
  assertStreamName(streamName);
  if (isProjectionStream(streamName)) {
    throw new InvalidArgumentError(
      `${JSON.stringify(streamName)} is a system projection stream (written only by EventStoreDB): append to the ` +
        `aggregate's own stream and follow the category or event type with a filtered $all subscription`,
    );
  }
}

/**
 * A store that does not serve the system projection streams refuses to read them: they would read as "not found"
 * forever, a silent trap. The `$all` filters replace them on every store.
 */
export function assertReadableStream(streamName: string, storeName: string): void {
  if (isProjectionStream(streamName)) {
    throw new InvalidArgumentError(
      `${storeName} does not serve the system projection stream ${JSON.stringify(streamName)}: use readAll/` +
        `subscribeToAll with categoryFilter(...) or eventTypeFilter(...) instead`,
    );
  }
}

/** Checks the whole list before anything is written: an append is all or nothing. */
export function assertEventList(events: unknown, streamName: string): asserts events is readonly EventData[] {
  if (!Array.isArray(events)) {
    throw new InvalidArgumentError(
      `appendToStream(${JSON.stringify(streamName)}): events must be an array, got ${describeValue(events)}`,
    );
  }
  for (let i = 0; i < events.length; i++) assertEventData(events[i], streamName, i);
}

function assertEventData(event: unknown, streamName: string, index: number): asserts event is EventData {
  if (typeof event !== 'object' || event === null)
    throw new InvalidArgumentError(
      `${where(streamName, index)} must be an object, got ${describeValue(event)}`,
    );
  const { eventId, type, data, metadata } = event as Partial<EventData>;
  if (!isUuid(eventId)) {
    throw new InvalidArgumentError(
      `${where(streamName, index)}: eventId must be a UUID string, got ${describeValue(eventId)}`,
    );
  }
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidArgumentError(
      `${where(streamName, index)}: type must be a non-empty string, got ${describeValue(type)}`,
    );
  }
  if (typeof data !== 'string') {
    throw new InvalidArgumentError(
      `${where(streamName, index)} (${type}): data must be a JSON string, got ${describeValue(data)}`,
    );
  }
  if (typeof metadata !== 'string') {
    throw new InvalidArgumentError(
      `${where(streamName, index)} (${type}): metadata must be a JSON string, got ${describeValue(metadata)}`,
    );
  }
}

/** Names the offending event in an error message; built only on failure (every append checks every event). */
function where(streamName: string, index: number): string {
  return `appendToStream(${JSON.stringify(streamName)}): event #${index}`;
}

export function assertDirection(direction: unknown, target: string): 'forwards' | 'backwards' {
  if (direction === undefined) return 'forwards';
  if (direction === 'forwards' || direction === 'backwards') return direction;
  throw new InvalidArgumentError(
    `Reading ${target}: direction must be 'forwards' or 'backwards', got ${describeValue(direction)}`,
  );
}

export function assertMaxCount(maxCount: unknown, target: string): number {
  if (maxCount === undefined) return DEFAULT_MAX_COUNT;
  if (typeof maxCount === 'number' && Number.isSafeInteger(maxCount) && maxCount > 0) return maxCount;
  throw new InvalidArgumentError(
    `Reading ${target}: maxCount must be a positive safe integer, got ${describeValue(maxCount)}`,
  );
}

/** A stream revision or `'start'`/`'end'`: `fromRevision` of a read, `after` of a stream subscription. */
export function assertRevisionPoint(
  point: unknown,
  operation: 'readStream' | 'subscribeToStream',
  streamName: string,
): asserts point is number | 'start' | 'end' {
  if (point === 'start' || point === 'end') return;
  if (typeof point === 'number' && Number.isSafeInteger(point) && point >= 0) return;
  const option = operation === 'readStream' ? 'fromRevision' : 'after';
  throw new InvalidArgumentError(
    `${operation}(${JSON.stringify(streamName)}): ${option} must be a revision (safe integer >= 0), 'start' or 'end', got ${describeValue(point)}`,
  );
}

/** A `$all` position or `'start'`/`'end'`: `after` of a `$all` read or subscription. */
export function assertPosition(
  position: unknown,
  operation: string,
): asserts position is bigint | 'start' | 'end' {
  if (position === 'start' || position === 'end') return;
  if (typeof position === 'bigint' && position >= 0n) return;
  throw new InvalidArgumentError(
    `${operation}: after must be a position (bigint >= 0), 'start' or 'end', got ${describeValue(position)}`,
  );
}

export function assertHandlers(handlers: unknown, target: string): asserts handlers is SubscriptionHandlers {
  if (
    typeof handlers !== 'object' ||
    handlers === null ||
    typeof (handlers as SubscriptionHandlers).onEvent !== 'function'
  ) {
    throw new InvalidArgumentError(`Subscribing to ${target}: handlers.onEvent must be a function`);
  }
}

/**
 * The optimistic concurrency check of a store that compares versions itself (EventStoreDB's rules): throws
 * {@link WrongExpectedVersionError} unless `expected` matches a stream whose last revision is `last` (-1: never
 * written) and that `exists` (has visible events: not soft-deleted since its last append).
 */
export function checkExpectedVersion(
  streamName: string,
  expected: ExpectedVersion,
  last: number,
  exists: boolean,
): void {
  if (expected === ExpectedVersion.Any) return;
  if (expected === ExpectedVersion.NoStream) {
    if (!exists) return;
  } else if (expected === ExpectedVersion.StreamExists) {
    if (exists) return;
  } else if (expected === last) {
    // Also true right after a soft delete: EventStoreDB accepts the last revision before the delete.
    return;
  }
  throw new WrongExpectedVersionError(streamName, expected, exists ? last : 'no_stream');
}
