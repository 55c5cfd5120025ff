/**
 * What a personal field reads as once its subject was forgotten (its key deleted: crypto-shredding). Events of a
 * forgotten subject still load; each personal field holds a `Redacted` instead of its value, so aggregates and read
 * models keep working and code can tell "forgotten" from "empty".
 *
 * Declare personal fields as `string | Redacted` (or test with {@link isRedacted}) so the type says so. A `Redacted`
 * written back (e.g. copied into a new event) is stored as the redaction marker again, never as data.
 *
 * It renders as `[redacted]` in strings and JSON, and holds nothing about the value it replaced.
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

  /** `"[redacted]"`: JSON output (logs, API responses) shows the marker, never a value. */
  toJSON(): string {
    return '[redacted]';
  }
}

/** The one shared marker instance (a `Redacted` is immutable and holds no data). */
export const REDACTED: Redacted = new Redacted();

/** True when `value` is a {@link Redacted} marker. */
export function isRedacted(value: unknown): value is Redacted {
  return value instanceof Redacted;
}
