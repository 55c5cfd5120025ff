import { parseStreamName } from '../persistence/stream-name-builder';
import type { RecordedEvent } from '../persistence/stream-store';
import { topicToken, type TransportMessage } from './transport-message';

/** Keys of the event metadata's `headers` that travel as the message's own tenant and trace context. */
export const CONTEXT_HEADER_KEYS = {
  /** Metadata header holding the tenant. */
  tenant: 'tenant',
  /** Metadata header holding the W3C `traceparent`. */
  traceparent: 'traceparent',
  /** Metadata header holding the W3C `tracestate`. */
  tracestate: 'tracestate',
} as const;

/**
 * The transport message of a stored event: message id = event id, type, the payload and metadata texts as stored,
 * correlation and causation from the metadata, tenant and W3C trace context from the metadata's `headers`
 * (`tenant`, `traceparent`, `tracestate`), and the event's place in the log as user headers `stream`, `revision`,
 * `position` (so a receiver can check per-stream order).
 */
export function messageOfRecordedEvent(event: RecordedEvent): TransportMessage {
  let metadata: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(event.metadata);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      metadata = parsed as Record<string, unknown>;
  } catch {
    // Metadata written by another tool may not be JSON: the message still carries it as text.
  }
  const headers =
    typeof metadata.headers === 'object' && metadata.headers !== null
      ? (metadata.headers as Record<string, unknown>)
      : {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  return {
    messageId: event.eventId,
    type: event.type,
    body: event.data,
    metadata: event.metadata,
    correlationId: text(metadata.$correlationId),
    causationId: text(metadata.$causationId),
    tenant: text(headers[CONTEXT_HEADER_KEYS.tenant]),
    traceparent: text(headers[CONTEXT_HEADER_KEYS.traceparent]),
    tracestate: text(headers[CONTEXT_HEADER_KEYS.tracestate]),
    headers: { stream: event.streamName, revision: String(event.revision), position: String(event.position) },
  };
}

/** Default topic of a forwarded event: `events.<category>.<type>` (each made a valid token). */
export function defaultEventTopic(event: RecordedEvent): string {
  const category = parseStreamName(event.streamName)?.category ?? event.streamName.split('-')[0] ?? 'none';
  return `events.${topicToken(category)}.${topicToken(event.type)}`;
}
