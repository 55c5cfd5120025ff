import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';

/**
 * The concurrency check of an append or delete. Either a revision (the 0-based revision of the stream's last
 * event, which must match exactly) or one of the named states below. The named states are strings, so they can
 * never collide with a revision.
 */
export const ExpectedVersion = {
  /** No check at all. */
  Any: 'any',
  /** The stream must not exist (never written, or soft-deleted with no later append). */
  NoStream: 'no_stream',
  /** The stream must exist, with at least one event. */
  StreamExists: 'stream_exists',
} as const;

/** A revision number or one of the named {@link ExpectedVersion} states. */
export type ExpectedVersion = number | (typeof ExpectedVersion)[keyof typeof ExpectedVersion];

/** Throws {@link InvalidArgumentError} unless `value` is a valid {@link ExpectedVersion}. */
export function assertExpectedVersion(value: unknown, streamName: string): asserts value is ExpectedVersion {
  if (
    value === ExpectedVersion.Any ||
    value === ExpectedVersion.NoStream ||
    value === ExpectedVersion.StreamExists
  )
    return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
  throw new InvalidArgumentError(
    `Stream ${JSON.stringify(streamName)}: expected version must be a revision (safe integer >= 0) or ` +
      `ExpectedVersion.Any/NoStream/StreamExists, got ${describeValue(value)}`,
  );
}

/** Renders an expected version for messages: `3`, `no_stream`, ... */
export function describeExpectedVersion(value: ExpectedVersion): string {
  return String(value);
}
