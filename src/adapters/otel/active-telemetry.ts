import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Meter,
  Span,
  SpanKind,
  Tracer,
} from '@opentelemetry/api';
import type { Command, Query } from '../../core/message';
import type { Fail, Success } from '../../messaging/command-messages';
import { ATTR, METRIC } from './attributes';
import type { LagTracker } from './lag-tracker';
import type { OtelApi } from './otel-api';

/**
 * What traced stores and repositories need from the telemetry: the one check, and the lag trackers.
 * @internal
 */
export interface TelemetrySource {
  /** The recording side, or undefined while nothing is registered. */
  active(): ActiveTelemetry | undefined;
  /** Lag trackers of the traced stores' live subscriptions. */
  readonly lagTrackers: Set<LagTracker>;
}

/**
 * Tracer, meter and instruments while a provider is registered.
 * @internal
 */
export class ActiveTelemetry {
  readonly commandsHandled: Counter;
  readonly commandDuration: Histogram;
  readonly eventsAppended: Counter;
  readonly subscriptionDrops: Counter;

  constructor(
    readonly api: OtelApi,
    readonly tracer: Tracer,
    meter: Meter,
    lagTrackers: ReadonlySet<LagTracker>,
  ) {
    this.commandsHandled = meter.createCounter(METRIC.commandsHandled, {
      description: 'Commands handled, by outcome and type',
    });
    this.commandDuration = meter.createHistogram(METRIC.commandDuration, {
      description: 'Command handling time (middleware and handler), by outcome and type',
      unit: 's',
    });
    this.eventsAppended = meter.createCounter(METRIC.eventsAppended, {
      description: 'Events appended, by event type',
    });
    this.subscriptionDrops = meter.createCounter(METRIC.subscriptionDrops, {
      description: 'Subscriptions dropped, by reason',
    });
    const lagEvents = meter.createObservableGauge(METRIC.lagEvents, {
      description: 'Events appended in this process that a subscription has not handled yet',
    });
    const lagSeconds = meter.createObservableGauge(METRIC.lagSeconds, {
      description: 'Age of the oldest event a subscription has not handled yet (0 when caught up)',
      unit: 's',
    });
    meter.addBatchObservableCallback(
      (result) => {
        const now = Date.now();
        for (const tracker of lagTrackers) {
          const attributes = { [ATTR.subscription]: tracker.description };
          result.observe(lagEvents, tracker.pendingEvents, attributes);
          result.observe(lagSeconds, tracker.oldestPendingAgeMs(now) / 1000, attributes);
        }
      },
      [lagEvents, lagSeconds],
    );
  }

  /** The SpanKind enum value. */
  kind(name: keyof typeof SpanKind): SpanKind {
    return this.api.SpanKind[name];
  }

  /**
   * Runs `work` in a new span (child of `parent`, default the active context), ends it when `work` settles and
   * records a failure on it.
   */
  inSpan<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    work: (span: Span) => Promise<T>,
    parent?: Context,
  ): Promise<T> {
    const api = this.api;
    const base = parent ?? api.context.active();
    const span = this.tracer.startSpan(name, { kind, attributes }, base);
    let running: Promise<T>;
    try {
      running = api.context.with(api.trace.setSpan(base, span), work, undefined, span);
    } catch (error) {
      this.failSpan(span, error);
      span.end();
      throw error;
    }
    return running.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        this.failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Marks a span failed with `error`. */
  failSpan(span: Span, error: unknown): void {
    if (error instanceof Error) span.recordException(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') span.setAttribute('error.type', code);
    span.setStatus({
      code: this.api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }

  handleCommand(
    command: Command,
    aborted: () => boolean,
    next: () => Promise<Success | Fail>,
  ): Promise<Success | Fail> {
    const type = command.constructor.name;
    const started = performance.now();
    return this.inSpan(
      `handle ${type}`,
      this.api.SpanKind.INTERNAL,
      messageAttributes('command', type, command),
      async (span) => {
        const outcome = await next();
        const kind = outcome.kind === 'fail' && aborted() ? 'canceled' : outcome.kind;
        span.setAttribute(ATTR.outcome, kind);
        if (kind !== 'success') this.failSpan(span, (outcome as Fail).error);
        const attributes = { [ATTR.outcome]: kind, [ATTR.messageType]: type };
        this.commandsHandled.add(1, attributes);
        this.commandDuration.record((performance.now() - started) / 1000, attributes);
        return outcome;
      },
    );
  }

  handleQuery(query: Query<unknown>, next: () => Promise<unknown>): Promise<unknown> {
    const type = query.constructor.name;
    return this.inSpan(
      `query ${type}`,
      this.api.SpanKind.INTERNAL,
      messageAttributes('query', type, query),
      async (span) => {
        try {
          const result = await next();
          span.setAttribute(ATTR.outcome, 'success');
          return result;
        } catch (error) {
          span.setAttribute(ATTR.outcome, 'fail');
          throw error;
        }
      },
    );
  }
}

function messageAttributes(
  kind: 'command' | 'query',
  type: string,
  message: { msgId: string; correlationId?: string | undefined; causationId?: string | undefined },
): Attributes {
  const attributes: Attributes = {
    [ATTR.messageKind]: kind,
    [ATTR.messageType]: type,
    [ATTR.messageId]: message.msgId,
  };
  if (message.correlationId) attributes[ATTR.correlationId] = message.correlationId;
  if (message.causationId) attributes[ATTR.causationId] = message.causationId;
  return attributes;
}
