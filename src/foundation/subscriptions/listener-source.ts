import { InvalidArgumentError, describeValue } from '../../core/reactive-domain.error';
import { categoryFilter } from '../../persistence/stream-name-builder';
import type { AllFilter, RecordedEvent } from '../../persistence/stream-store';
import type { Checkpoint } from './checkpoint';

/**
 * What a {@link StreamListener} follows. Build one with {@link ListenerSources}.
 *
 * - `stream`: one stream, by name (checkpoints are revisions).
 * - `category`: every stream named `<category>-...` (a `$all` subscription filtered by the stream-name prefix
 *   `<category>-`, so it works without the server's `$by_category` projection; checkpoints are positions).
 * - `eventType`: every event whose type is exactly one of `types` (`$all` filtered by type prefix, then by exact
 *   name; checkpoints are positions).
 * - `all`: `$all`, optionally filtered by stream-name or event-type prefixes (checkpoints are positions).
 */
export type ListenerSource =
  | {
      /** Discriminant: one stream. */
      readonly kind: 'stream';
      /** The stream followed. */
      readonly streamName: string;
    }
  | {
      /** Discriminant: every stream of a category. */
      readonly kind: 'category';
      /** The category: the part of the stream names before the first `-` (contains no `-`). */
      readonly category: string;
    }
  | {
      /** Discriminant: every event of some types. */
      readonly kind: 'eventType';
      /** Registered event type names, matched exactly (at least one). */
      readonly types: readonly string[];
    }
  | {
      /** Discriminant: `$all`. */
      readonly kind: 'all';
      /** Only events matching this filter; all (non-system) events when omitted. */
      readonly filter?: AllFilter;
    };

/** Factories for {@link ListenerSource}s (validated). */
export const ListenerSources = {
  /** One stream. */
  stream(streamName: string): ListenerSource {
    nonBlank(streamName, 'stream name');
    return { kind: 'stream', streamName };
  },
  /** Every stream of a category (`<category>-<id>`), e.g. the category name a `StreamNameBuilder` returns. */
  category(category: string): ListenerSource {
    categoryFilter(category); // validates: non-empty, no '-'
    return { kind: 'category', category };
  },
  /** Every event of the given registered type name(s). */
  eventType(...types: string[]): ListenerSource {
    if (types.length === 0)
      throw new InvalidArgumentError('eventType source: give at least one event type name');
    for (const type of types) nonBlank(type, 'event type');
    return { kind: 'eventType', types: [...types] };
  },
  /** `$all`, optionally filtered. */
  all(filter?: AllFilter): ListenerSource {
    return filter === undefined ? { kind: 'all' } : { kind: 'all', filter };
  },
} as const;

/** The kind of checkpoint a source uses: revisions for one stream, positions for anything read from `$all`. */
export function checkpointKindOf(source: ListenerSource): Checkpoint['kind'] {
  return source.kind === 'stream' ? 'stream' : 'all';
}

/**
 * A stable text key for a source, used to store its checkpoint: `stream:account-1`, `category:account`,
 * `eventType:Deposited,Withdrawn`, `$all`, `$all:streamName:a,b`.
 */
export function sourceKeyOf(source: ListenerSource): string {
  switch (source.kind) {
    case 'stream':
      return `stream:${source.streamName}`;
    case 'category':
      return `category:${source.category}`;
    case 'eventType':
      return `eventType:${[...source.types].sort().join(',')}`;
    case 'all':
      return source.filter
        ? `$all:${source.filter.on}:${[...source.filter.prefixes].sort().join(',')}`
        : '$all';
  }
}

/**
 * The `$all` filter a source reads through (undefined: unfiltered `$all`). An `eventType` source filters by type
 * prefix on the server; {@link deliversFrom} then keeps the exact names.
 */
export function allFilterOf(source: Exclude<ListenerSource, { kind: 'stream' }>): AllFilter | undefined {
  switch (source.kind) {
    case 'category':
      return categoryFilter(source.category);
    case 'eventType':
      return { on: 'eventType', prefixes: source.types };
    case 'all':
      return source.filter;
  }
}

/**
 * True when a listener on `source` delivers `event`: the store-side filter (system `$` types never) plus the exact
 * event-type match. One definition for listeners, rebuild counts and the testing kit.
 */
export function deliversFrom(source: ListenerSource, event: RecordedEvent): boolean {
  if (event.type.startsWith('$')) return false;
  switch (source.kind) {
    case 'stream':
      return event.streamName === source.streamName;
    case 'category':
      return event.streamName.startsWith(`${source.category}-`);
    case 'eventType':
      return source.types.includes(event.type);
    case 'all': {
      const filter = source.filter;
      if (!filter) return true;
      const value = filter.on === 'streamName' ? event.streamName : event.type;
      return filter.prefixes.some((prefix) => value.startsWith(prefix));
    }
  }
}

/** Human-readable source, for messages. */
export function describeSource(source: ListenerSource): string {
  switch (source.kind) {
    case 'stream':
      return `stream ${JSON.stringify(source.streamName)}`;
    case 'category':
      return `category ${JSON.stringify(source.category)}`;
    case 'eventType':
      return `event type(s) ${source.types.map((t) => JSON.stringify(t)).join(', ')}`;
    case 'all':
      return source.filter
        ? `$all filtered on ${source.filter.on} ${source.filter.prefixes.join(', ')}`
        : '$all';
  }
}

/** Throws unless `checkpoint` fits `source` (a revision for a stream, a position otherwise). */
export function assertCheckpointFits(source: ListenerSource, checkpoint: Checkpoint | undefined): void {
  if (checkpoint === undefined) return;
  const kind = checkpointKindOf(source);
  if (checkpoint.kind !== kind) {
    throw new InvalidArgumentError(
      `${describeSource(source)} takes ${kindText(kind)}, got ${kindText(checkpoint.kind)}`,
    );
  }
}

function nonBlank(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-blank string, got ${describeValue(value)}`);
  }
}

function kindText(kind: Checkpoint['kind']): string {
  return kind === 'stream' ? 'a stream checkpoint (revision)' : 'an $all checkpoint (position)';
}
