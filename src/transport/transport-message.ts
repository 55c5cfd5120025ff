import { InvalidTopicError, MalformedTransportMessageError } from './transport.errors';

/**
 * One message as it crosses a broker. The payload (`body`) and the stored metadata (`metadata`) are JSON texts, as
 * a store keeps them; the ids and contexts a broker or an operator may want to route or filter on are repeated in
 * headers (see {@link toWireHeaders}).
 */
export interface TransportMessage {
  /** Unique id of the message (the event's id or the message's `msgId`); receivers dedup by it. */
  readonly messageId: string;
  /** Registered type name of the payload. */
  readonly type: string;
  /** JSON payload. */
  readonly body: string;
  /** JSON metadata in the store's format (correlation, causation, schema version, headers...), when there is any. */
  readonly metadata?: string | undefined;
  /** `msgId` of the message that started the conversation. */
  readonly correlationId?: string | undefined;
  /** `msgId` of the message that directly caused this one. */
  readonly causationId?: string | undefined;
  /** The tenant the message belongs to, when the application is multi-tenant. */
  readonly tenant?: string | undefined;
  /** W3C trace context `traceparent` of the span that produced the message. */
  readonly traceparent?: string | undefined;
  /** W3C trace context `tracestate`. */
  readonly tracestate?: string | undefined;
  /** Further string headers (names: letters, digits, `-`, `_`; at most 64 characters). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Header names on the wire; identical for every broker, so a message can be inspected with the broker's tools. */
export const WIRE_HEADERS = {
  /** The message id. */
  messageId: 'rd-message-id',
  /** The registered type name. */
  type: 'rd-type',
  /** The correlation id. */
  correlationId: 'rd-correlation-id',
  /** The causation id. */
  causationId: 'rd-causation-id',
  /** The tenant. */
  tenant: 'rd-tenant',
  /** The metadata JSON text. */
  metadata: 'rd-metadata',
  /** W3C trace context. */
  traceparent: 'traceparent',
  /** W3C trace state. */
  tracestate: 'tracestate',
  /** Prefix of user headers (`rd-h-<name>`). */
  userPrefix: 'rd-h-',
  /** Set on a dead-lettered copy: why it was dead-lettered. */
  deadLetterReason: 'rd-dead-letter-reason',
  /** Set on a dead-lettered copy: the topic it was first published to. */
  originalTopic: 'rd-original-topic',
  /** Set on a dead-lettered copy: how many times it was delivered. */
  attempts: 'rd-attempts',
} as const;

const HEADER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The headers that carry `message` on the wire (body travels separately). */
export function toWireHeaders(message: TransportMessage): Record<string, string> {
  const headers: Record<string, string> = {
    [WIRE_HEADERS.messageId]: message.messageId,
    [WIRE_HEADERS.type]: message.type,
  };
  if (message.correlationId) headers[WIRE_HEADERS.correlationId] = message.correlationId;
  if (message.causationId) headers[WIRE_HEADERS.causationId] = message.causationId;
  if (message.tenant) headers[WIRE_HEADERS.tenant] = message.tenant;
  if (message.metadata) headers[WIRE_HEADERS.metadata] = message.metadata;
  if (message.traceparent) headers[WIRE_HEADERS.traceparent] = message.traceparent;
  if (message.tracestate) headers[WIRE_HEADERS.tracestate] = message.tracestate;
  if (message.headers) {
    for (const [name, value] of Object.entries(message.headers)) {
      headers[WIRE_HEADERS.userPrefix + name] = value;
    }
  }
  return headers;
}

/**
 * Rebuilds a message from its wire headers and body. `get` reads one header (undefined when absent).
 * @throws MalformedTransportMessageError when the message id or type header is missing.
 */
export function fromWireHeaders(
  get: (name: string) => string | undefined,
  names: Iterable<string>,
  body: string,
): TransportMessage {
  const messageId = get(WIRE_HEADERS.messageId);
  const type = get(WIRE_HEADERS.type);
  if (!messageId || !type) {
    throw new MalformedTransportMessageError(
      `a received message lacks the ${messageId ? WIRE_HEADERS.type : WIRE_HEADERS.messageId} header ` +
        '(not published through a reactive-domain transport?)',
    );
  }
  let headers: Record<string, string> | undefined;
  for (const name of names) {
    if (!name.toLowerCase().startsWith(WIRE_HEADERS.userPrefix)) continue;
    const value = get(name);
    if (value === undefined) continue;
    (headers ??= {})[name.slice(WIRE_HEADERS.userPrefix.length)] = value;
  }
  return {
    messageId,
    type,
    body,
    metadata: get(WIRE_HEADERS.metadata),
    correlationId: get(WIRE_HEADERS.correlationId),
    causationId: get(WIRE_HEADERS.causationId),
    tenant: get(WIRE_HEADERS.tenant),
    traceparent: get(WIRE_HEADERS.traceparent),
    tracestate: get(WIRE_HEADERS.tracestate),
    headers,
  };
}

/** Checks a message before it is published. @throws InvalidTopicError (an invalid argument) naming the field. */
export function assertTransportMessage(message: TransportMessage): void {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidTopicError('publish: expected a transport message object');
  }
  if (typeof message.messageId !== 'string' || message.messageId.length === 0) {
    throw new InvalidTopicError('publish: the message needs a non-empty string messageId');
  }
  if (typeof message.type !== 'string' || message.type.length === 0) {
    throw new InvalidTopicError(`publish: message ${message.messageId} needs a non-empty string type`);
  }
  if (typeof message.body !== 'string') {
    throw new InvalidTopicError(`publish: message ${message.messageId} needs a string (JSON) body`);
  }
  for (const name of Object.keys(message.headers ?? {})) {
    if (!HEADER_NAME.test(name)) {
      throw new InvalidTopicError(
        `publish: message ${message.messageId} has an invalid header name ${JSON.stringify(name)} ` +
          '(letters, digits, - and _, at most 64 characters)',
      );
    }
  }
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a topic: dot-separated tokens of letters, digits, `-` and `_` (e.g. `orders.placed`), at most 200
 * characters. With `allowWildcard`, the last token may be `>` (everything below: `orders.>`), or the whole pattern
 * `>` (everything).
 * @throws InvalidTopicError naming the topic.
 */
export function assertTopic(topic: string, what = 'topic', allowWildcard = false): void {
  const fail = (why: string): never => {
    throw new InvalidTopicError(`invalid ${what} ${JSON.stringify(topic)}: ${why}`);
  };
  if (typeof topic !== 'string' || topic.length === 0) fail('expected a non-empty string');
  if (topic.length > 200) fail('longer than 200 characters');
  const tokens = topic.split('.');
  tokens.forEach((token, index) => {
    if (allowWildcard && token === '>' && index === tokens.length - 1) return;
    if (!TOKEN.test(token)) {
      fail(
        allowWildcard
          ? 'use dot-separated tokens of letters, digits, - and _, optionally ending with ".>"'
          : 'use dot-separated tokens of letters, digits, - and _',
      );
    }
  });
}

/** True when `topic` matches `pattern` (exact, or `prefix.>` for everything below `prefix`, or `>`). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === '>') return true;
  if (pattern.endsWith('.>'))
    return topic.startsWith(pattern.slice(0, -1)) && topic.length > pattern.length - 1;
  return pattern === topic;
}

/** Makes any text usable as one topic token: characters outside `[A-Za-z0-9_-]` become `_`. */
export function topicToken(text: string): string {
  const token = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return token.length === 0 ? '_' : token;
}

/** The topic dead-lettered messages of `group` are published to. */
export function deadLetterTopic(group: string): string {
  return `dead-letter.${group}`;
}

/**
 * The copy of `message` published to the dead-letter topic: its headers gain the reason, the topic it came from and
 * the attempts made (the same user headers for every transport).
 */
export function deadLetterCopy(
  message: TransportMessage,
  topic: string,
  attempt: number,
  reason: string,
): TransportMessage {
  return {
    ...message,
    headers: {
      ...message.headers,
      [WIRE_HEADERS.deadLetterReason]: reason,
      [WIRE_HEADERS.originalTopic]: topic,
      [WIRE_HEADERS.attempts]: String(attempt),
    },
  };
}

/** The group that keeps the dead letters of `group` (declared with it, so dead letters are never dropped). */
export function deadLetterGroup(group: string): string {
  return `${group}.dead-letters`;
}

/** True for a dead-letter group's name (it has no dead-letter group of its own). */
export function isDeadLetterGroup(group: string): boolean {
  return group.endsWith('.dead-letters');
}
