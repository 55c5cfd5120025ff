/**
 * `reactive-domain/otel`: OpenTelemetry spans and metrics for commands, queries, repositories and stores, with the
 * W3C trace context carried in event metadata so that a saga is one trace.
 *
 * `@opentelemetry/api` is an optional peer, loaded when a {@link ReactiveDomainTelemetry} is created.
 * @packageDocumentation
 */
export {
  ReactiveDomainTelemetry,
  type CommandPipeline,
  type QueryPipeline,
  type TelemetryOptions,
  type TraceStoreOptions,
} from './telemetry';
export type { TraceableRepository } from './traced-repository';
export type { TraceableDelivery, TraceableTransport, TraceableTransportMessage } from './traced-transport';
export { ATTR, METRIC } from './attributes';
export {
  TRACEPARENT,
  TRACESTATE,
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
} from './trace-context';
export { loadOtelApi, type OtelApi } from './otel-api';
export { OtelPackageMissingError } from './otel.errors';
