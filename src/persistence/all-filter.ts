import { InvalidArgumentError, describeValue } from '../core/reactive-domain.error';
import type { AllFilter, RecordedEvent } from './stream-store';

/** A compiled `$all` filter: true when the event should be seen. */
export type AllFilterPredicate = (event: Pick<RecordedEvent, 'streamName' | 'type'>) => boolean;

/**
 * True for server system events (type starting with `$`), which `$all` reads and subscriptions never return.
 */
export function isSystemEventType(type: string): boolean {
  return type.charCodeAt(0) === 36; // '$'
}

/**
 * Validates `filter` and compiles it into a predicate. System events (type starting with `$`) never match.
 * Without a filter every non-system event matches. Throws {@link InvalidArgumentError} for a malformed filter
 * (unknown `on`, empty or non-string prefixes).
 */
export function compileAllFilter(filter: AllFilter | undefined): AllFilterPredicate {
  if (filter === undefined) return (event) => !isSystemEventType(event.type);
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidArgumentError(`$all filter must be an object, got ${describeValue(filter)}`);
  }
  const { on, prefixes } = filter;
  if (on !== 'streamName' && on !== 'eventType') {
    throw new InvalidArgumentError(
      `$all filter: "on" must be 'streamName' or 'eventType', got ${describeValue(on)}`,
    );
  }
  if (!Array.isArray(prefixes) || prefixes.length === 0) {
    throw new InvalidArgumentError(`$all filter on ${on}: prefixes must be a non-empty array of strings`);
  }
  for (const prefix of prefixes) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new InvalidArgumentError(
        `$all filter on ${on}: every prefix must be a non-empty string, got ${describeValue(prefix)}`,
      );
    }
  }
  // Copy so later mutation of the caller's array cannot change a running subscription.
  const list: readonly string[] = [...prefixes];
  const matches = (value: string): boolean => {
    for (let i = 0; i < list.length; i++) if (value.startsWith(list[i]!)) return true;
    return false;
  };
  return on === 'streamName'
    ? (event) => !isSystemEventType(event.type) && matches(event.streamName)
    : (event) => !isSystemEventType(event.type) && matches(event.type);
}
