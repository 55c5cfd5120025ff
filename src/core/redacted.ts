/** Key of the marker object a redacted value is stored as: `{"$rdRedacted":"forgotten"}`. */
export const REDACTED_FIELD_KEY = '$rdRedacted';

/** The redaction marker as stored JSON. */
export interface RedactionMarker {
  /** Why the value is gone. */
  readonly $rdRedacted: 'forgotten';
}

/**
 * What a personal field reads as once its subject was forgotten (its key deleted: crypto-shredding). Events of a
 * forgotten subject still load; each personal field holds a `Redacted` instead of its value, so aggregates and read
 * models keep working and code can tell "forgotten" from "empty".
 *
 * Declare personal fields as `string | Redacted` (or test with {@link isRedacted}) so the type says so. A `Redacted`
 * written back (e.g. copied into a new event) is stored as the redaction marker again, never as data.
 *
 * It renders as `[redacted]` in strings and as the marker `{"$rdRedacted":"forgotten"}` in JSON (so stored state
 * restores it), and holds nothing about the value it replaced.
 */
export class Redacted {
  /** Discriminant, also in JSON. */
  readonly redacted = true as const;
  constructor(
    /** Why the value is gone: `forgotten` (the subject's key was deleted). */
    readonly reason: 'forgotten' = 'forgotten',
  ) {
    Object.freeze(this);
  }

  /** `[redacted]`. */
  toString(): string {
    return '[redacted]';
  }

  /** The marker `{"$rdRedacted":"forgotten"}`: JSON output (state, logs, API responses) holds no value. */
  toJSON(): RedactionMarker {
    return { [REDACTED_FIELD_KEY]: this.reason };
  }
}

/** The one shared marker instance (a `Redacted` is immutable and holds no data). */
export const REDACTED: Redacted = new Redacted();

/** True when `value` is a {@link Redacted} marker. */
export function isRedacted(value: unknown): value is Redacted {
  return value instanceof Redacted;
}

/** A `JSON.parse` reviver that turns redaction markers back into {@link REDACTED} (e.g. for stored state). */
export function reviveRedacted(_key: string, value: unknown): unknown {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, REDACTED_FIELD_KEY)
    ? REDACTED
    : value;
}
