import type { JsonValue } from '../persistence/event-metadata';
import { EventSerializer } from '../persistence/event-serializer';
import type { RecordedEvent } from '../persistence/stream-store';
import { CONTEXT_HEADER_KEYS, messageOfRecordedEvent } from './recorded-event-message';
import type { TransportMessage } from './transport-message';

/** Contexts a message carries besides its ids. */
export interface MessageContext {
  /** Tenant of the message. */
  readonly tenant?: string;
  /** W3C `traceparent` of the span that sends it. */
  readonly traceparent?: string;
  /** W3C `tracestate`. */
  readonly tracestate?: string;
}

/**
 * Turns messages (commands, events, any registered message class) into transport messages and back, with the
 * store's serializer: the same registry, field schemas, upcasting and untrusted-input checks as stored events, and
 * the same metadata (correlation and causation ids, tenant and trace context in its headers). A message type that
 * crosses processes is registered in the serializer's registry on both sides, under the same name.
 */
export class MessageCodec {
  /** The serializer used (its registry names the types). */
  readonly serializer: EventSerializer;

  constructor(serializer: EventSerializer = new EventSerializer()) {
    this.serializer = serializer;
  }

  /** The transport message of `message` (its `msgId` becomes the message id). */
  encode(message: object, context: MessageContext = {}): TransportMessage {
    const headers: Record<string, JsonValue> = {};
    if (context.tenant) headers[CONTEXT_HEADER_KEYS.tenant] = context.tenant;
    if (context.traceparent) headers[CONTEXT_HEADER_KEYS.traceparent] = context.traceparent;
    if (context.tracestate) headers[CONTEXT_HEADER_KEYS.tracestate] = context.tracestate;
    const data = this.serializer.serialize(message, Object.keys(headers).length > 0 ? { headers } : {});
    const { headers: _placement, ...rest } = messageOfRecordedEvent(
      recordedOf(data.eventId, data.type, data.data, data.metadata, 'transport'),
    );
    return rest;
  }

  /**
   * The message instance of a transport message, with its `msgId`, `correlationId` and `causationId` restored.
   * @throws UnknownEventTypeError for an unregistered type; EventDeserializationError for bad data.
   */
  decode<T extends object = object>(message: TransportMessage, origin = 'transport'): T {
    return this.serializer.deserialize<T>(
      recordedOf(message.messageId, message.type, message.body, message.metadata ?? '', origin),
    ).event;
  }
}

function recordedOf(
  eventId: string,
  type: string,
  data: string,
  metadata: string,
  origin: string,
): RecordedEvent {
  return {
    streamName: origin,
    revision: 0,
    position: 0n,
    eventId,
    type,
    data,
    metadata,
    created: new Date(0),
  };
}
