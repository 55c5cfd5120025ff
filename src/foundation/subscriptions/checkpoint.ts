import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import type { RecordedEvent } from '../../persistence/stream-store';

/**
 * Where a listener or read model has got to in one source: the last event it handled. Resuming from a
 * checkpoint is exclusive — the next event delivered is the one after it.
 *
 * - `stream`: following one stream; `revision` is the 0-based revision of the last handled event.
 * - `all`: following `$all` (a category, an event type or `$all` itself); `position` is the global position of the
 *   last handled event.
 */
export type Checkpoint =
  | {
      /** Discriminant: a checkpoint in one stream. */
      readonly kind: 'stream';
      /** 0-based revision of the last handled event. */
      readonly revision: number;
    }
  | {
      /** Discriminant: a checkpoint in `$all`. */
      readonly kind: 'all';
      /** Global `$all` position of the last handled event. */
      readonly position: bigint;
    };

/** The JSON-safe form of a {@link Checkpoint} (a `bigint` position travels as a decimal string). */
export type StoredCheckpoint =
  | {
      /** Discriminant: a checkpoint in one stream. */
      readonly kind: 'stream';
      /** 0-based revision of the last handled event. */
      readonly revision: number;
    }
  | {
      /** Discriminant: a checkpoint in `$all`. */
      readonly kind: 'all';
      /** Global `$all` position of the last handled event, as a decimal string. */
      readonly position: string;
    };

/**
 * Throws {@link InvalidArgumentError} (naming `where` and the value) unless `checkpoint` is a well-formed
 * {@link Checkpoint}: `{ kind: 'stream', revision }` with a safe integer revision >= 0, or `{ kind: 'all', position }`
 * with a `bigint` position >= 0.
 */
export function assertCheckpoint(checkpoint: unknown, where: string): asserts checkpoint is Checkpoint {
  if (typeof checkpoint === 'object' && checkpoint !== null) {
    const { kind, revision, position } = checkpoint as {
      kind?: unknown;
      revision?: unknown;
      position?: unknown;
    };
    if (kind === 'stream' && typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 0)
      return;
    if (kind === 'all' && typeof position === 'bigint' && position >= 0n) return;
  }
  throw new InvalidArgumentError(
    `${where}: not a checkpoint (expected { kind: 'stream', revision: safe integer >= 0 } or ` +
      `{ kind: 'all', position: bigint >= 0 }), got ${safeJson(checkpoint)}`,
  );
}

/** Checkpoint at a stream revision. */
export function streamCheckpoint(revision: number): Checkpoint {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new InvalidArgumentError(
      `stream checkpoint: revision must be a safe integer >= 0, got ${describeValue(revision)}`,
    );
  }
  return { kind: 'stream', revision };
}

/** Checkpoint at a `$all` position. */
export function allCheckpoint(position: bigint): Checkpoint {
  if (typeof position !== 'bigint' || position < 0n) {
    throw new InvalidArgumentError(
      `$all checkpoint: position must be a bigint >= 0, got ${describeValue(position)}`,
    );
  }
  return { kind: 'all', position };
}

/** The checkpoint that `event` would leave behind, for a source of the given kind. */
export function checkpointOf(event: RecordedEvent, kind: Checkpoint['kind']): Checkpoint {
  return kind === 'stream' ? { kind, revision: event.revision } : { kind, position: event.position };
}

/** True when `event` comes strictly after `checkpoint` (no checkpoint: every event does). */
export function isAfterCheckpoint(event: RecordedEvent, checkpoint: Checkpoint | undefined): boolean {
  if (checkpoint === undefined) return true;
  return checkpoint.kind === 'stream'
    ? event.revision > checkpoint.revision
    : event.position > checkpoint.position;
}

/**
 * Converts a checkpoint to its JSON-safe form, checking it first ({@link InvalidArgumentError} naming `where` for a
 * malformed one), so a store that writes this form never stores what it could not read back.
 */
export function toStoredCheckpoint(checkpoint: Checkpoint, where = 'checkpoint'): StoredCheckpoint {
  assertCheckpoint(checkpoint, where);
  return checkpoint.kind === 'stream'
    ? { kind: 'stream', revision: checkpoint.revision }
    : { kind: 'all', position: checkpoint.position.toString() };
}

/** Parses the JSON-safe form back, validating it (stored data is untrusted input). */
export function fromStoredCheckpoint(value: unknown): Checkpoint {
  if (typeof value === 'object' && value !== null) {
    const { kind, revision, position } = value as { kind?: unknown; revision?: unknown; position?: unknown };
    if (kind === 'stream' && typeof revision === 'number') return streamCheckpoint(revision);
    if (kind === 'all' && typeof position === 'string' && /^\d+$/.test(position))
      return allCheckpoint(BigInt(position));
  }
  throw new InvalidArgumentError(`not a stored checkpoint: ${safeJson(value)}`);
}

/** `stream@12` or `$all@4096`, for messages. */
export function describeCheckpoint(checkpoint: Checkpoint | undefined): string {
  if (checkpoint === undefined) return 'start';
  return checkpoint.kind === 'stream' ? `revision ${checkpoint.revision}` : `position ${checkpoint.position}`;
}

function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? describeValue(value)
    );
  } catch {
    return describeValue(value);
  }
}
