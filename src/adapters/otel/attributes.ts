/**
 * Span and metric attribute names written by `reactive-domain/otel`. Message ids use the OpenTelemetry messaging
 * convention (`messaging.message.id`); the rest are the library's own, under `reactive_domain.`.
 */
export const ATTR = {
  /** `msgId` of the command, query or event. */
  messageId: 'messaging.message.id',
  /** `command`, `query` or `event`. */
  messageKind: 'reactive_domain.message.kind',
  /** Command or query class name, or registered event type name. */
  messageType: 'reactive_domain.message.type',
  /** `correlationId` (`$correlationId` in event metadata). */
  correlationId: 'reactive_domain.correlation_id',
  /** `causationId` (`$causationId` in event metadata). */
  causationId: 'reactive_domain.causation_id',
  /** `success`, `fail` or `canceled` for commands; `success` or `fail` for queries. */
  outcome: 'reactive_domain.outcome',
  /** Stream name. */
  stream: 'reactive_domain.stream',
  /** Revision of an event in its stream (for an append: the last appended). */
  revision: 'reactive_domain.revision',
  /** Global `$all` position, as a decimal string (positions are 64-bit). */
  position: 'reactive_domain.position',
  /** Expected version of an append or delete. */
  expectedVersion: 'reactive_domain.expected_version',
  /** Number of events appended or read. */
  eventCount: 'reactive_domain.event_count',
  /** Aggregate type name (its static `typeName`). */
  aggregateType: 'reactive_domain.aggregate.type',
  /** Aggregate id. */
  aggregateId: 'reactive_domain.aggregate.id',
  /** What a subscription follows: `stream <name>` or `$all` with its filter (after the subscriber's name, if any). */
  subscription: 'reactive_domain.subscription',
  /** Who subscribes (a read model's or process manager's name), when the traced store was given one. */
  subscriber: 'reactive_domain.subscriber',
  /** Why a subscription dropped. */
  dropReason: 'reactive_domain.drop_reason',
} as const;

/** Metric names written by `reactive-domain/otel`. */
export const METRIC = {
  /** Counter: commands handled, by `reactive_domain.outcome` and `reactive_domain.message.type`. */
  commandsHandled: 'reactive_domain.commands.handled',
  /** Histogram (seconds): command handling time, by outcome and type. */
  commandDuration: 'reactive_domain.command.duration',
  /** Counter: events appended, by `reactive_domain.message.type` (event type). */
  eventsAppended: 'reactive_domain.events.appended',
  /** Gauge: events appended in this process that a subscription has not handled yet, by subscription. */
  lagEvents: 'reactive_domain.subscription.lag.events',
  /** Gauge (seconds): age of the oldest such event (0 when caught up), by subscription. */
  lagSeconds: 'reactive_domain.subscription.lag.seconds',
  /** Counter: subscription drops, by `reactive_domain.drop_reason`. */
  subscriptionDrops: 'reactive_domain.subscription.drops',
} as const;
