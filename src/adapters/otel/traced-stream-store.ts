import { reportDrop } from '../../persistence/catch-up-subscription';
import type { ExpectedVersion } from '../../persistence/expected-version';
import type {
  AllSlice,
  AppendResult,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  StoreSubscription,
  StreamStore,
  SubscribeToAllOptions,
  SubscribeToStreamOptions,
  SubscriptionHandlers,
} from '../../persistence/stream-store';
import type { SubscriptionDroppedError } from '../../persistence/stream-store.errors';
import { ATTR } from './attributes';
import { LagTracker } from './lag-tracker';
import type { ActiveTelemetry, TelemetrySource } from './active-telemetry';
import { extractTraceContext, injectTraceContext } from './trace-context';

/**
 * A {@link StreamStore} that records what passes through it (see `ReactiveDomainTelemetry.traceStore`):
 * - `append <stream>` (producer) spans; every appended event's metadata gets `headers.traceparent` (and
 *   `tracestate`) of that span, so whoever handles the event continues the trace;
 * - `read <stream>` / `read $all` (client) spans, `delete <stream>` / `tombstone <stream>`;
 * - `process <EventType>` (consumer) spans around each event a subscription delivers, children of the trace context
 *   found in the event's metadata (a new trace when there is none): a read model's or process manager's handler,
 *   and the commands it sends, run inside it;
 * - metrics: events appended, subscription lag (events and seconds, for appends made through this store) and drops.
 * While no OpenTelemetry provider is registered each call costs one check and goes straight to the wrapped store.
 */
export class TracedStreamStore implements StreamStore {
  constructor(
    /** The wrapped store. */
    readonly inner: StreamStore,
    private readonly telemetry: TelemetrySource,
    /** Who subscribes through this wrapper (a read model's or process manager's name), for spans and metrics. */
    private readonly subscriber?: string,
  ) {}

  appendToStream(
    streamName: string,
    expectedVersion: ExpectedVersion,
    events: readonly EventData[],
  ): Promise<AppendResult> {
    const active = this.telemetry.active();
    if (active === undefined) return this.inner.appendToStream(streamName, expectedVersion, events);
    const attributes = {
      [ATTR.stream]: streamName,
      [ATTR.expectedVersion]: String(expectedVersion),
      [ATTR.eventCount]: Array.isArray(events) ? events.length : 0,
    };
    return active.inSpan(`append ${streamName}`, active.kind('PRODUCER'), attributes, async (span) => {
      // Arguments are the wrapped store's to validate: anything that is not a list goes through unchanged.
      const traced = Array.isArray(events) ? events.map((event) => withTraceContext(active, event)) : events;
      const first = Array.isArray(events) ? correlationOf(events[0]?.metadata) : undefined;
      if (first?.correlationId) span.setAttribute(ATTR.correlationId, first.correlationId);
      if (first?.causationId) span.setAttribute(ATTR.causationId, first.causationId);
      const result = await this.inner.appendToStream(streamName, expectedVersion, traced);
      span.setAttribute(ATTR.revision, result.nextExpectedVersion);
      span.setAttribute(ATTR.position, result.position.toString());
      const types = traced.map((event) => event.type);
      for (const type of types) active.eventsAppended.add(1, { [ATTR.messageType]: type });
      const now = Date.now();
      for (const tracker of this.telemetry.lagTrackers)
        tracker.appended(streamName, types, result.position, now);
      return result;
    });
  }

  readStream(streamName: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    const active = this.telemetry.active();
    if (active === undefined) return this.inner.readStream(streamName, options);
    return active.inSpan(
      `read ${streamName}`,
      active.kind('CLIENT'),
      { [ATTR.stream]: streamName },
      async (span) => {
        const result = await this.inner.readStream(streamName, options);
        span.setAttribute('reactive_domain.read.status', result.status);
        if (result.status === 'ok') {
          span.setAttribute(ATTR.eventCount, result.events.length);
          span.setAttribute(ATTR.revision, result.lastRevision);
        }
        return result;
      },
    );
  }

  readAll(options?: ReadAllOptions): Promise<AllSlice> {
    const active = this.telemetry.active();
    if (active === undefined) return this.inner.readAll(options);
    return active.inSpan('read $all', active.kind('CLIENT'), { [ATTR.stream]: '$all' }, async (span) => {
      const slice = await this.inner.readAll(options);
      span.setAttribute(ATTR.eventCount, slice.events.length);
      return slice;
    });
  }

  subscribeToStream(
    streamName: string,
    options: SubscribeToStreamOptions,
    handlers: SubscriptionHandlers,
  ): StoreSubscription {
    return this.#subscribe(`stream ${streamName}`, { stream: streamName }, handlers, (wrapped) =>
      this.inner.subscribeToStream(streamName, options, wrapped),
    );
  }

  subscribeToAll(options: SubscribeToAllOptions, handlers: SubscriptionHandlers): StoreSubscription {
    const filter = options?.filter;
    const description = filter ? `$all ${filter.on} ${filter.prefixes.join('|')}` : '$all';
    return this.#subscribe(description, { filter }, handlers, (wrapped) =>
      this.inner.subscribeToAll(options, wrapped),
    );
  }

  deleteStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    const active = this.telemetry.active();
    if (active === undefined) return this.inner.deleteStream(streamName, expectedVersion);
    return active.inSpan(
      `delete ${streamName}`,
      active.kind('CLIENT'),
      { [ATTR.stream]: streamName, [ATTR.expectedVersion]: String(expectedVersion) },
      () => this.inner.deleteStream(streamName, expectedVersion),
    );
  }

  tombstoneStream(streamName: string, expectedVersion: ExpectedVersion): Promise<void> {
    const active = this.telemetry.active();
    if (active === undefined) return this.inner.tombstoneStream(streamName, expectedVersion);
    return active.inSpan(
      `tombstone ${streamName}`,
      active.kind('CLIENT'),
      { [ATTR.stream]: streamName, [ATTR.expectedVersion]: String(expectedVersion) },
      () => this.inner.tombstoneStream(streamName, expectedVersion),
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #subscribe(
    description: string,
    target: ConstructorParameters<typeof LagTracker>[1],
    handlers: SubscriptionHandlers,
    open: (wrapped: SubscriptionHandlers) => StoreSubscription,
  ): StoreSubscription {
    const telemetry = this.telemetry;
    const subscriber = this.subscriber;
    if (subscriber !== undefined) description = `${subscriber} (${description})`;
    const tracker = new LagTracker(description, target);
    const wrapped: SubscriptionHandlers = {
      onEvent: (event) => {
        const active = telemetry.active();
        if (active === undefined) return handlers.onEvent(event);
        return consume(active, event, description, subscriber, () => handlers.onEvent(event)).then(() =>
          tracker.delivered(event.position),
        );
      },
      onDropped: (error: SubscriptionDroppedError) => {
        telemetry.lagTrackers.delete(tracker);
        telemetry.active()?.subscriptionDrops.add(1, {
          [ATTR.dropReason]: error.reason,
          [ATTR.subscription]: description,
        });
        // The user's onDropped, or what the stores do without one: a drop is never silent.
        reportDrop(handlers, error);
      },
    };
    if (handlers.onLive) {
      const onLive = handlers.onLive.bind(handlers);
      (wrapped as { onLive?: () => void }).onLive = onLive;
    }
    telemetry.lagTrackers.add(tracker);
    let subscription: StoreSubscription;
    try {
      subscription = open(wrapped);
    } catch (error) {
      telemetry.lagTrackers.delete(tracker);
      throw error;
    }
    return {
      get isLive() {
        return subscription.isLive;
      },
      close: async () => {
        telemetry.lagTrackers.delete(tracker);
        await subscription.close();
      },
    };
  }
}

/** Runs a subscription handler in a `process <type>` span continuing the event's trace. */
async function consume(
  active: ActiveTelemetry,
  event: RecordedEvent,
  description: string,
  subscriber: string | undefined,
  handle: () => void | Promise<void>,
): Promise<void> {
  const api = active.api;
  const metadata = parseObject(event.metadata);
  const parent = extractTraceContext(api, metadata?.headers, api.ROOT_CONTEXT);
  const attributes: Record<string, string | number> = {
    [ATTR.messageKind]: 'event',
    [ATTR.messageType]: event.type,
    [ATTR.messageId]: event.eventId,
    [ATTR.stream]: event.streamName,
    [ATTR.revision]: event.revision,
    [ATTR.position]: event.position.toString(),
    [ATTR.subscription]: description,
  };
  if (subscriber !== undefined) attributes[ATTR.subscriber] = subscriber;
  if (typeof metadata?.$correlationId === 'string') attributes[ATTR.correlationId] = metadata.$correlationId;
  if (typeof metadata?.$causationId === 'string') attributes[ATTR.causationId] = metadata.$causationId;
  await active.inSpan(
    `process ${event.type}`,
    active.kind('CONSUMER'),
    attributes,
    async () => {
      await handle();
    },
    parent,
  );
}

/** The event with the active span's trace context in its metadata headers (unchanged when that is not JSON). */
function withTraceContext(active: ActiveTelemetry, event: EventData): EventData {
  const metadata = parseObject(event?.metadata);
  if (!metadata) return event;
  const headers: Record<string, unknown> =
    typeof metadata.headers === 'object' && metadata.headers !== null && !Array.isArray(metadata.headers)
      ? { ...(metadata.headers as Record<string, unknown>) }
      : {};
  injectTraceContext(active.api, headers);
  return { ...event, metadata: JSON.stringify({ ...metadata, headers }) };
}

function correlationOf(
  metadata: string | undefined,
): { correlationId?: string; causationId?: string } | undefined {
  const parsed = parseObject(metadata);
  if (!parsed) return undefined;
  return {
    ...(typeof parsed.$correlationId === 'string' ? { correlationId: parsed.$correlationId } : {}),
    ...(typeof parsed.$causationId === 'string' ? { causationId: parsed.$causationId } : {}),
  };
}

function parseObject(json: unknown): Record<string, unknown> | undefined {
  if (typeof json !== 'string' || json.length === 0 || json.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
