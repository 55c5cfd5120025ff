import { ATTR } from './attributes';
import type { TelemetrySource } from './active-telemetry';
import { extractTraceContext, formatTraceparent } from './trace-context';

/** The fields of a transport message that tracing reads and writes (`TransportMessage` of `reactive-domain` has them). */
export interface TraceableTransportMessage {
  /** The message id (the event's or command's `msgId`). */
  readonly messageId: string;
  /** Message type name. */
  readonly type: string;
  /** Correlation id, when the message has one. */
  readonly correlationId?: string | undefined;
  /** Causation id, when the message has one. */
  readonly causationId?: string | undefined;
  /** W3C trace parent carried by the message. */
  readonly traceparent?: string | undefined;
  /** W3C trace state carried by the message. */
  readonly tracestate?: string | undefined;
}

/** A received message (`TransportDelivery` fits). */
export interface TraceableDelivery<M extends TraceableTransportMessage> {
  /** The message. */
  readonly message: M;
  /** The topic it arrived on. */
  readonly topic: string;
  /** 1 for the first delivery, more for redeliveries. */
  readonly attempt: number;
}

/** A broker transport (`MessageTransport` of `reactive-domain` fits): what tracing wraps. */
export interface TraceableTransport<M extends TraceableTransportMessage, D extends TraceableDelivery<M>> {
  /** Publishes one message to a topic. */
  publish(topic: string, message: M, ...rest: never[]): Promise<void>;
  /** Consumes messages; `handler` runs for each delivery. */
  subscribe(options: never, handler: (delivery: D) => void | Promise<void>): Promise<unknown>;
}

/**
 * A proxy of `transport` whose publishes run in `publish <topic>` (producer) spans and whose deliveries run in
 * `consume <type>` (consumer) spans. A published message's `traceparent` (copied by the log forwarder from the
 * event's metadata) is the parent of its publish span and is replaced by that span's context, so the consumer's span
 * is its child: command, append, forwarder publish and remote handling form one trace.
 * @internal use `ReactiveDomainTelemetry.traceTransport`
 */
export function traceTransport<T extends object>(transport: T, telemetry: TelemetrySource): T {
  const target = transport as unknown as {
    publish(topic: string, message: TraceableTransportMessage, ...rest: unknown[]): Promise<void>;
    subscribe(
      options: unknown,
      handler: (delivery: TraceableDelivery<TraceableTransportMessage>) => unknown,
    ): Promise<unknown>;
  };
  const publish = function (
    this: unknown,
    topic: string,
    message: TraceableTransportMessage,
    ...rest: unknown[]
  ) {
    const active = telemetry.active();
    if (active === undefined) return target.publish.call(this, topic, message, ...rest);
    const api = active.api;
    const parent = message?.traceparent
      ? extractTraceContext(
          api,
          { traceparent: message.traceparent, tracestate: message.tracestate },
          api.context.active(),
        )
      : api.context.active();
    return active.inSpan(
      `publish ${topic}`,
      active.kind('PRODUCER'),
      messageAttributes(message, topic),
      async (span) => {
        const traced = { ...message, traceparent: formatTraceparent(span.spanContext()) };
        return target.publish.call(this, topic, traced, ...rest);
      },
      parent,
    );
  };
  const subscribe = function (
    this: unknown,
    options: unknown,
    handler: (delivery: TraceableDelivery<TraceableTransportMessage>) => unknown,
  ) {
    const traced = (delivery: TraceableDelivery<TraceableTransportMessage>): unknown => {
      const active = telemetry.active();
      if (active === undefined) return handler(delivery);
      const api = active.api;
      const message = delivery.message;
      const parent = extractTraceContext(
        api,
        { traceparent: message.traceparent, tracestate: message.tracestate },
        api.ROOT_CONTEXT,
      );
      return active.inSpan(
        `consume ${message.type}`,
        active.kind('CONSUMER'),
        { ...messageAttributes(message, delivery.topic), 'reactive_domain.attempt': delivery.attempt },
        async () => {
          await handler(delivery);
        },
        parent,
      );
    };
    return target.subscribe.call(this, options, traced);
  };
  return new Proxy(transport, {
    get(object, property, receiver) {
      if (property === 'publish') return publish;
      if (property === 'subscribe') return subscribe;
      return Reflect.get(object, property, receiver) as unknown;
    },
  });
}

function messageAttributes(message: TraceableTransportMessage, topic: string): Record<string, string> {
  const attributes: Record<string, string> = {
    [ATTR.messageId]: message.messageId,
    [ATTR.messageType]: message.type,
    'messaging.destination.name': topic,
  };
  if (message.correlationId) attributes[ATTR.correlationId] = message.correlationId;
  if (message.causationId) attributes[ATTR.causationId] = message.causationId;
  return attributes;
}
