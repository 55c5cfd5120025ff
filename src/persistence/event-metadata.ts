/** A JSON value (what user-supplied headers may contain). */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The current version of the {@link EventMetadata} format, stored as `rdMetaVersion`. */
export const EVENT_METADATA_VERSION = 1;

/**
 * The metadata stored with every event, as JSON. The correlation keys follow EventStoreDB's conventions
 * (`$correlationId`, `$causationId`), so the server's `$by_correlation_id` projection works on our events.
 * Events written by other tools may lack any of the keys; unknown keys are kept as they are.
 */
export interface EventMetadata {
  /** Format version of this object (1). Absent on events written by other tools. */
  readonly rdMetaVersion?: number;
  /** Conversation the event belongs to (the message that started it). */
  readonly $correlationId?: string;
  /** The message that directly caused this event (usually a command). */
  readonly $causationId?: string;
  /** Schema version of the payload when it was written (see upcasting). Absent means 1. */
  readonly schemaVersion?: number;
  /** The aggregate type name (its static `typeName`) that raised the event. */
  readonly aggregateType?: string;
  /** Id shared by every event appended in one save. */
  readonly commitId?: string;
  /** User-supplied headers (e.g. the acting user, a tenant). */
  readonly headers?: { readonly [key: string]: JsonValue };
  /** Keys written by other tools. */
  readonly [key: string]: unknown;
}
