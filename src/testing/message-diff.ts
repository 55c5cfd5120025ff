import type { EventTypeRegistry } from '../core/event-type-registry';

/**
 * Comparing and rendering messages for humans: the given/when/then specifications, the TestQueue and the Jest
 * matchers all report failures with these, so every failure reads the same way.
 */

/** Fields that identify a message instance rather than describe it: never compared, not shown by default. */
const ID_FIELDS: ReadonlySet<string> = new Set(['msgId', 'correlationId', 'causationId']);

/** A Jest-style asymmetric matcher (`expect.any(Date)`, `expect.stringMatching(...)`), recognised structurally. */
interface AsymmetricMatcher {
  asymmetricMatch(other: unknown): boolean;
  toString?(): string;
  toAsymmetricMatcher?(): string;
}

function isAsymmetricMatcher(value: unknown): value is AsymmetricMatcher {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsymmetricMatcher).asymmetricMatch === 'function'
  );
}

/** Options of {@link compareMessages}. */
export interface CompareOptions {
  /**
   * Compare `correlationId` / `causationId` too. `'when-expected'` (default): only where the expected message has
   * them set (so an expected event built with `MessageBuilder.from(command)` checks correlation, a bare one does
   * not). `'never'`: ignore them. `msgId` is never compared.
   */
  readonly ids?: 'when-expected' | 'never';
  /** Registry used to name event classes in reports (their registered names); class names otherwise. */
  readonly registry?: EventTypeRegistry;
  /**
   * `'match'` (default): classes must match (an `OrderShipped` is not an `OrderConfirmed`). `'ignore'`: as Jest's
   * `toEqual`, for data such as query results that may have been cloned or deserialized — a class instance equals a
   * plain object (or another class's instance) with equal fields, and a field holding `undefined` equals a missing
   * one; arrays, `Date`s, `Map`s and `Set`s must still meet their own kind.
   */
  readonly classes?: 'match' | 'ignore';
}

/** The kind of object whose contents are compared differently; 'fields' for everything else. */
function kindOf(value: object): 'array' | 'date' | 'map' | 'set' | 'fields' {
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof Map) return 'map';
  if (value instanceof Set) return 'set';
  return 'fields';
}

/** Name of a message's class for reports: its registered name when known, else the class name. */
export function typeNameOf(value: unknown, registry?: EventTypeRegistry): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const ctor = (value as { constructor?: Function }).constructor;
  if (!ctor) return 'Object';
  return registry?.nameOfType(ctor) ?? (ctor.name || 'anonymous class');
}

/**
 * Renders a value compactly on one line: `OrderConfirmed { orderId: "7f…", total: 30 }`, dates as ISO text,
 * bigints with `n`. Message id fields are left out unless `withIds`.
 */
export function formatValue(
  value: unknown,
  options: { withIds?: boolean; registry?: EventTypeRegistry } = {},
): string {
  return render(value, options.withIds ?? false, options.registry, new Set(), 0);
}

/** Renders a message (event, command, ...) for a report, ids left out. */
export function formatMessage(message: unknown, registry?: EventTypeRegistry): string {
  return formatValue(message, { registry });
}

function render(
  value: unknown,
  withIds: boolean,
  registry: EventTypeRegistry | undefined,
  seen: Set<object>,
  depth: number,
): string {
  if (isAsymmetricMatcher(value))
    return value.toAsymmetricMatcher?.() ?? value.toString?.() ?? 'asymmetric matcher';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return `[function ${(value as { name?: string }).name || 'anonymous'}]`;
    case 'symbol':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value === null) return 'null';
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Date(invalid)' : `Date(${value.toISOString()})`;
  if (value instanceof Error) return `${value.name}(${JSON.stringify(value.message)})`;
  if (seen.has(value)) return '[circular]';
  if (depth > 6) return '[...]';
  seen.add(value);
  try {
    if (Array.isArray(value))
      return `[${value.map((v) => render(v, withIds, registry, seen, depth + 1)).join(', ')}]`;
    if (value instanceof Map) {
      const entries = [...value].map(
        ([k, v]) =>
          `${render(k, withIds, registry, seen, depth + 1)} => ${render(v, withIds, registry, seen, depth + 1)}`,
      );
      return `Map { ${entries.join(', ')} }`;
    }
    if (value instanceof Set)
      return `Set { ${[...value].map((v) => render(v, withIds, registry, seen, depth + 1)).join(', ')} }`;
    const ctor = (value as { constructor?: Function }).constructor;
    const prefix = ctor && ctor !== Object ? `${typeNameOf(value, registry)} ` : '';
    const fields = Object.keys(value)
      .filter((key) => withIds || !ID_FIELDS.has(key))
      .map(
        (key) =>
          `${key}: ${render((value as Record<string, unknown>)[key], withIds, registry, seen, depth + 1)}`,
      );
    return fields.length === 0 ? `${prefix}{}` : `${prefix}{ ${fields.join(', ')} }`;
  } finally {
    seen.delete(value);
  }
}

/**
 * The differences between `expected` and `actual`, one line per difference, each starting with its path
 * (`.items[1].quantity: expected 2, got 3`). Empty when they are equal. Classes must match (an `OrderShipped` is
 * not an `OrderConfirmed`, even with equal fields); own enumerable fields are compared deeply; `Date`s by time;
 * asymmetric matchers in `expected` (e.g. `expect.any(Date)`) are honoured.
 */
export function diffValues(
  expected: unknown,
  actual: unknown,
  options: CompareOptions = {},
  path = '',
): string[] {
  const out: string[] = [];
  diffInto(expected, actual, options, path, out, new Set());
  return out;
}

function where(path: string): string {
  return path === '' ? 'value' : path;
}

function diffInto(
  expected: unknown,
  actual: unknown,
  options: CompareOptions,
  path: string,
  out: string[],
  seen: Set<object>,
): void {
  if (isAsymmetricMatcher(expected)) {
    if (!expected.asymmetricMatch(actual))
      out.push(`${where(path)}: expected ${formatValue(expected)}, got ${formatValue(actual, options)}`);
    return;
  }
  if (Object.is(expected, actual) || (expected === 0 && actual === 0)) return;
  if (typeof expected !== 'object' || expected === null || typeof actual !== 'object' || actual === null) {
    out.push(
      `${where(path)}: expected ${formatValue(expected, options)}, got ${formatValue(actual, options)}`,
    );
    return;
  }
  const expectedCtor = (expected as { constructor?: unknown }).constructor;
  const actualCtor = (actual as { constructor?: unknown }).constructor;
  const loose = options.classes === 'ignore';
  if (loose ? kindOf(expected) !== kindOf(actual) : expectedCtor !== actualCtor) {
    out.push(
      `${where(path)}: expected ${formatValue(expected, options)}, got ${formatValue(actual, options)}`,
    );
    return;
  }
  if (seen.has(expected)) return; // a cycle: its first visit compares it
  seen.add(expected);
  try {
    if (expected instanceof Date) {
      if (expected.getTime() !== (actual as Date).getTime()) {
        out.push(`${where(path)}: expected ${formatValue(expected)}, got ${formatValue(actual)}`);
      }
      return;
    }
    if (Array.isArray(expected)) {
      const actualArray = actual as unknown[];
      if (expected.length !== actualArray.length) {
        out.push(
          `${where(path)}: expected ${expected.length} element(s), got ${actualArray.length}: ${formatValue(actual, options)}`,
        );
        return;
      }
      for (let i = 0; i < expected.length; i++)
        diffInto(expected[i], actualArray[i], options, `${path}[${i}]`, out, seen);
      return;
    }
    if (expected instanceof Map || expected instanceof Set) {
      // Keyed collections are compared by rendering: good enough for reports, and ordering is part of a Map's identity here.
      const e = formatValue(expected, options);
      const a = formatValue(actual, options);
      if (e !== a) out.push(`${where(path)}: expected ${e}, got ${a}`);
      return;
    }
    const compareIds = options.ids !== 'never';
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const key of keys) {
      if (key === 'msgId') continue;
      const e = (expected as Record<string, unknown>)[key];
      const a = (actual as Record<string, unknown>)[key];
      if (ID_FIELDS.has(key) && (!compareIds || e === undefined)) continue;
      const childPath = `${path}.${key}`;
      if (!(key in actual)) {
        if (!(loose && e === undefined))
          out.push(`${childPath}: missing (expected ${formatValue(e, options)})`);
        continue;
      }
      if (!(key in expected)) {
        if (a !== undefined) out.push(`${childPath}: unexpected field (got ${formatValue(a, options)})`);
        continue;
      }
      diffInto(e, a, options, childPath, out, seen);
    }
  } finally {
    seen.delete(expected);
  }
}

/** The differences between two lists of messages (events), message by message; empty when they match. */
export function compareMessages(
  expected: readonly unknown[],
  actual: readonly unknown[],
  options: CompareOptions = {},
): string[] {
  const differences: string[] = [];
  const count = Math.max(expected.length, actual.length);
  for (let i = 0; i < count; i++) {
    if (i >= actual.length) {
      differences.push(`#${i}: missing, expected ${formatValue(expected[i], options)}`);
      continue;
    }
    if (i >= expected.length) {
      differences.push(`#${i}: unexpected ${formatValue(actual[i], options)}`);
      continue;
    }
    const expectedName = typeNameOf(expected[i], options.registry);
    for (const line of diffValues(expected[i], actual[i], options)) {
      differences.push(
        line.startsWith('value:') ? `#${i}: ${line.slice('value: '.length)}` : `#${i} ${expectedName}${line}`,
      );
    }
  }
  return differences;
}

/** A numbered list of messages, one per line, indented; `(none)` when empty. */
export function formatMessageList(
  messages: readonly unknown[],
  registry?: EventTypeRegistry,
  indent = '  ',
): string {
  if (messages.length === 0) return `${indent}(none)`;
  return messages.map((m, i) => `${indent}#${i} ${formatMessage(m, registry)}`).join('\n');
}

/**
 * The standard report of a list mismatch:
 * ```
 * <title>
 * Expected 2 event(s):
 *   #0 OrderCreated { ... }
 * Actual 1 event(s):
 *   #0 OrderCreated { ... }
 * Differences:
 *   #0 OrderCreated.total: expected 30, got 40
 * ```
 */
export function mismatchReport(
  title: string,
  expected: readonly unknown[],
  actual: readonly unknown[],
  differences: readonly string[],
  options: { noun?: string; registry?: EventTypeRegistry } = {},
): string {
  const noun = options.noun ?? 'event';
  return [
    title,
    `Expected ${expected.length} ${noun}(s):`,
    formatMessageList(expected, options.registry),
    `Actual ${actual.length} ${noun}(s):`,
    formatMessageList(actual, options.registry),
    'Differences:',
    ...differences.map((d) => `  ${d}`),
  ].join('\n');
}
