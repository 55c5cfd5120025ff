import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import type { AllFilter } from './stream-store';

/**
 * Names the streams of aggregates, categories and event types. Names are built from registered type names
 * (an aggregate class's static `typeName`, an event's registered name), never from `constructor.name`.
 */
export interface StreamNameBuilder {
  /** The stream of one aggregate instance, e.g. `account-0190d1c2-...`. */
  forAggregate(aggregateTypeName: string, id: string): string;
  /**
   * The category of an aggregate type, e.g. `account`: every aggregate stream of that type is `<category>-<id>`.
   * This is the category name itself, not EventStoreDB's `$ce-` projection stream (follow a category with a
   * `$all` subscription filtered by {@link categoryFilter}, which needs no server projection).
   */
  forCategory(aggregateTypeName: string): string;
  /** EventStoreDB's event-type view (`$et-<type>`, from the `$by_event_type` system projection). */
  forEventType(eventTypeName: string): string;
}

/** The parts of a `<category>-<id>` stream name. */
export interface ParsedStreamName {
  /** Everything before the first `-` (e.g. `bank.account`). */
  readonly category: string;
  /** Everything after the first `-` (the aggregate id; may itself contain dashes). */
  readonly id: string;
}

const TYPE_NAME = /^[A-Za-z_$][\w$.]*$/;
const PREFIX = /^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;

/**
 * The default {@link StreamNameBuilder}, as Reactive Domain's `PrefixedCamelCaseStreamNameBuilder`:
 * - aggregate: `[prefix.]camelCaseTypeName-<id>`, e.g. `account-<id>` or `bank.account-<id>`;
 * - category: `[prefix.]camelCaseTypeName`;
 * - event type: `$et-<EventTypeName>` (no prefix, as in Reactive Domain).
 *
 * "Camel case" lower-cases the first character only (`BankAccount` -> `bankAccount`). The prefix is lower-cased.
 *
 * Difference from Reactive Domain: the id is used exactly as given. Our ids are UUID strings with dashes
 * (`account-0190d1c2-8a4e-7f00-...`); Reactive Domain formatted Guids as 32 hex digits without dashes. Streams
 * written by Reactive Domain can be read by passing the id in that form. Because the category ends at the first
 * `-` (as EventStoreDB's `$by_category` projection assumes), type names and prefixes may not contain `-`.
 */
export class PrefixedCamelCaseStreamNameBuilder implements StreamNameBuilder {
  /** The lower-cased prefix, or undefined. */
  readonly prefix: string | undefined;
  private readonly categories = new Map<string, string>();

  /**
   * @param prefix optional namespace (e.g. a bounded context); lower-cased. A blank prefix, or one containing
   *               characters other than letters, digits, `_` and `.` separators, throws {@link InvalidArgumentError}
   *               (omit the argument for no prefix).
   */
  constructor(prefix?: string) {
    if (prefix === undefined) {
      this.prefix = undefined;
      return;
    }
    if (typeof prefix !== 'string' || prefix.trim().length === 0) {
      throw new InvalidArgumentError(
        `Stream name prefix must not be blank (omit it for no prefix), got ${describeValue(prefix)}`,
      );
    }
    const lower = prefix.toLowerCase();
    if (!PREFIX.test(lower)) {
      throw new InvalidArgumentError(
        `Stream name prefix may contain only letters, digits, '_' and '.' separators, got ${describeValue(prefix)}`,
      );
    }
    this.prefix = lower;
  }

  forAggregate(aggregateTypeName: string, id: string): string {
    if (typeof id !== 'string' || id.trim().length === 0) {
      throw new InvalidArgumentError(
        `Stream name for ${describeValue(aggregateTypeName)}: id must be a non-blank string, got ${describeValue(id)}`,
      );
    }
    return `${this.forCategory(aggregateTypeName)}-${id}`;
  }

  forCategory(aggregateTypeName: string): string {
    // Called on every load and save with a handful of distinct names: validate and build each once.
    let category = this.categories.get(aggregateTypeName);
    if (category === undefined) {
      assertTypeName(aggregateTypeName, 'aggregate type name');
      const camel = aggregateTypeName.charAt(0).toLowerCase() + aggregateTypeName.slice(1);
      category = this.prefix === undefined ? camel : `${this.prefix}.${camel}`;
      this.categories.set(aggregateTypeName, category);
    }
    return category;
  }

  forEventType(eventTypeName: string): string {
    if (typeof eventTypeName !== 'string' || eventTypeName.trim().length === 0) {
      throw new InvalidArgumentError(
        `Event type name must be a non-blank string, got ${describeValue(eventTypeName)}`,
      );
    }
    return `$et-${eventTypeName}`;
  }

  /** The `$all` filter that selects every stream of an aggregate type's category. */
  categoryFilter(aggregateTypeName: string): AllFilter {
    return categoryFilter(this.forCategory(aggregateTypeName));
  }
}

function assertTypeName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || !TYPE_NAME.test(name)) {
    throw new InvalidArgumentError(
      `${what} must be an identifier (letters, digits, '_', '$', '.'; no '-'), got ${describeValue(name)}`,
    );
  }
}

/**
 * The `$all` filter selecting the streams of a category: stream-name prefix `<category>-`. The trailing dash keeps
 * `account` from matching `accountHolder-...`.
 */
export function categoryFilter(category: string): AllFilter {
  if (typeof category !== 'string' || category.length === 0 || category.includes('-')) {
    throw new InvalidArgumentError(
      `Category must be a non-empty string without '-', got ${describeValue(category)}`,
    );
  }
  return { on: 'streamName', prefixes: [`${category}-`] };
}

/**
 * The `$all` filter selecting events of the given types. It is a PREFIX filter (EventStoreDB's server-side filters
 * are prefixes or regular expressions): `Deposited` also matches `DepositedV2`, so consumers must still compare the
 * exact type (see {@link exactEventTypes}).
 */
export function eventTypeFilter(...eventTypeNames: string[]): AllFilter {
  if (eventTypeNames.length === 0)
    throw new InvalidArgumentError('eventTypeFilter: give at least one event type name');
  for (const name of eventTypeNames) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(
        `eventTypeFilter: event type names must be non-empty strings, got ${describeValue(name)}`,
      );
    }
  }
  return { on: 'eventType', prefixes: [...eventTypeNames] };
}

/** A predicate for the exact type names, to complete {@link eventTypeFilter}'s prefix match. */
export function exactEventTypes(...eventTypeNames: string[]): (event: { readonly type: string }) => boolean {
  const names = new Set(eventTypeNames);
  return (event) => names.has(event.type);
}

/**
 * Splits `<category>-<id>` at the first `-` (as EventStoreDB's `$by_category` projection does). Returns undefined
 * for names without a dash, with an empty category or id, and for system streams (starting with `$`).
 *
 * @example parseStreamName('bank.account-0190d1c2-8a4e-7f00-b000-000000000001')
 *   // { category: 'bank.account', id: '0190d1c2-8a4e-7f00-b000-000000000001' }
 */
export function parseStreamName(streamName: string): ParsedStreamName | undefined {
  if (typeof streamName !== 'string' || streamName.startsWith('$')) return undefined;
  const dash = streamName.indexOf('-');
  if (dash <= 0 || dash === streamName.length - 1) return undefined;
  return { category: streamName.slice(0, dash), id: streamName.slice(dash + 1) };
}
