import type { Meter, MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { BusSubscription } from '../../messaging/in-memory-bus';
import type { CommandMiddleware, QueryMiddleware } from '../../messaging/middleware';
import type { StreamStore } from '../../persistence/stream-store';
import { ActiveTelemetry } from './active-telemetry';
import type { LagTracker } from './lag-tracker';
import { loadOtelApi, type OtelApi } from './otel-api';
import { TracedStreamStore } from './traced-stream-store';
import { traceRepository, type TraceableRepository } from './traced-repository';
import {
  traceTransport,
  type TraceableDelivery,
  type TraceableTransport,
  type TraceableTransportMessage,
} from './traced-transport';

/** Options of {@link ReactiveDomainTelemetry}. */
export interface TelemetryOptions {
  /** Where spans go. Default: the global tracer provider (`trace.setGlobalTracerProvider`, an SDK's `register()`). */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.setGlobalMeterProvider`). */
  readonly meterProvider?: MeterProvider;
  /** Instrumentation scope name of the tracer and the meter (default `reactive-domain`). */
  readonly name?: string;
}

/** Options of {@link ReactiveDomainTelemetry.traceStore}. */
export interface TraceStoreOptions {
  /**
   * Name of the read model or process manager that subscribes through this wrapper: its `process` spans get a
   * `reactive_domain.subscriber` attribute and its lag gauges are labelled with it. Give each model its own wrapper
   * of the same store (`traceStore(store, { subscriber: 'order-summaries' })`); appends through any wrapper of the
   * same telemetry count for every model's lag.
   */
  readonly subscriber?: string;
}

/** Something `use(middleware)` can be called on: a `CommandDispatcher`. */
export interface CommandPipeline {
  /** Adds a command middleware. */
  use(middleware: CommandMiddleware): BusSubscription;
}

/** Something `use(middleware)` can be called on: a `QueryBus`. */
export interface QueryPipeline {
  /** Adds a query middleware. */
  use(middleware: QueryMiddleware): BusSubscription;
}

/**
 * OpenTelemetry for reactive-domain: spans and metrics for commands, queries, repositories and stores, and the W3C
 * trace context carried in event metadata so that a saga — command, events, the process manager's reaction, its
 * commands — is one trace.
 *
 * Nothing is recorded, and every instrumented call costs one check, while no tracer or meter provider is registered
 * (neither given in the options nor set globally). Registration may happen after the telemetry was created.
 *
 * @example
 * ```ts
 * const telemetry = new ReactiveDomainTelemetry();
 * const store = telemetry.traceStore(new InMemoryStreamStore());
 * const repository = telemetry.traceRepository(new StreamStoreRepository({ store, serializer }));
 * telemetry.instrument({ dispatcher, queries });
 * ```
 */
export class ReactiveDomainTelemetry {
  /** The loaded `@opentelemetry/api`. */
  readonly api: OtelApi;
  readonly #options: TelemetryOptions;
  readonly #noopTracerProvider: TracerProvider;
  readonly #noopMeter: Meter;
  #cache: { tp: TracerProvider; mp: MeterProvider; active: ActiveTelemetry | undefined } | undefined;
  /** @internal lag trackers of the traced stores' live subscriptions. */
  readonly lagTrackers = new Set<LagTracker>();

  /** @throws OtelPackageMissingError when `@opentelemetry/api` is not installed. */
  constructor(options: TelemetryOptions = {}) {
    this.api = loadOtelApi();
    this.#options = options;
    this.#noopTracerProvider = new this.api.ProxyTracerProvider().getDelegate();
    this.#noopMeter = this.api.createNoopMeter();
  }

  /**
   * The recording side, or undefined while nothing is registered — the one check every instrumented call makes.
   * @internal
   */
  active(): ActiveTelemetry | undefined {
    const tp = this.#options.tracerProvider ?? globalTracerDelegate(this.api);
    const mp = this.#options.meterProvider ?? this.api.metrics.getMeterProvider();
    const cache = this.#cache;
    if (cache !== undefined && cache.tp === tp && cache.mp === mp) return cache.active;
    return this.#refresh(tp, mp);
  }

  #refresh(tp: TracerProvider, mp: MeterProvider): ActiveTelemetry | undefined {
    const name = this.#options.name ?? 'reactive-domain';
    const meter = mp.getMeter(name);
    const tracing = tp !== this.#noopTracerProvider;
    const active =
      tracing || meter !== this.#noopMeter
        ? new ActiveTelemetry(this.api, tp.getTracer(name), meter, this.lagTrackers)
        : undefined;
    this.#cache = { tp, mp, active };
    return active;
  }

  /** A command middleware: one span per command (`handle <Type>`), the handled counter and the duration histogram. */
  commandMiddleware(): CommandMiddleware {
    return (context, next) => {
      const active = this.active();
      if (active === undefined) return next();
      return active.handleCommand(context.message, () => context.signal.aborted, next);
    };
  }

  /** A query middleware: one span per query (`query <Type>`). */
  queryMiddleware(): QueryMiddleware {
    return (context, next) => {
      const active = this.active();
      if (active === undefined) return next();
      return active.handleQuery(context.message, next);
    };
  }

  /** Adds {@link commandMiddleware} and {@link queryMiddleware}; the handles remove them. */
  instrument(targets: { dispatcher?: CommandPipeline; queries?: QueryPipeline }): BusSubscription[] {
    const handles: BusSubscription[] = [];
    if (targets.dispatcher) handles.push(targets.dispatcher.use(this.commandMiddleware()));
    if (targets.queries) handles.push(targets.queries.use(this.queryMiddleware()));
    return handles;
  }

  /**
   * Wraps a store: spans for appends, reads and each event a subscription delivers; the trace context written into
   * the metadata headers of appended events (`traceparent`, `tracestate`) and continued by subscribers; the events
   * appended counter, subscription lag gauges and drop counter.
   */
  traceStore(store: StreamStore, options: TraceStoreOptions = {}): StreamStore {
    return new TracedStreamStore(store, this, options.subscriber);
  }

  /**
   * Wraps a broker transport (`MessageTransport`): `publish <topic>` spans (continuing the trace a forwarded event
   * carries, and handing the consumer this span's context) and `consume <type>` spans around each delivery. Returns a
   * proxy of the same type.
   */
  traceTransport<
    T extends TraceableTransport<TraceableTransportMessage, TraceableDelivery<TraceableTransportMessage>>,
  >(transport: T): T {
    return traceTransport(transport, this);
  }

  /**
   * Wraps a repository (e.g. `StreamStoreRepository`; wrap the inner one of a `CorrelatedRepository`): spans
   * `load <AggregateType>` and `save <AggregateType>`. Returns a proxy of the same type.
   */
  traceRepository<R extends TraceableRepository>(repository: R): R {
    return traceRepository(repository, this);
  }
}

function globalTracerDelegate(api: OtelApi): TracerProvider {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => TracerProvider };
  return typeof provider.getDelegate === 'function' ? provider.getDelegate() : (provider as TracerProvider);
}
