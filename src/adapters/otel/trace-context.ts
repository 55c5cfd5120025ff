import type { Context, SpanContext } from '@opentelemetry/api';
import type { OtelApi } from './otel-api';

/** W3C trace-context header names (https://www.w3.org/TR/trace-context/). */
export const TRACEPARENT = 'traceparent';
/** Vendor trace state header, carried along with `traceparent` when present. */
export const TRACESTATE = 'tracestate';

const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A span context as a W3C `traceparent` value (version 00). */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Parses a W3C `traceparent` value; undefined when it is not a valid version-00 value. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined;
  return { traceId: traceId!, spanId: spanId!, traceFlags: parseInt(flags!, 16), isRemote: true };
}

/**
 * Writes the trace context of `context` (or the active one) into `headers` (a plain object: message headers, event
 * metadata headers). Nothing is written when there is no valid span context. For transports: call it on the
 * outgoing message's headers, and {@link extractTraceContext} on the receiving side.
 */
export function injectTraceContext(api: OtelApi, headers: Record<string, unknown>, context?: Context): void {
  const spanContext = api.trace.getSpanContext(context ?? api.context.active());
  if (!spanContext || !api.isSpanContextValid(spanContext)) return;
  headers[TRACEPARENT] = formatTraceparent(spanContext);
  const state = spanContext.traceState?.serialize();
  if (state) headers[TRACESTATE] = state;
}

/**
 * The context to continue a trace in: `base` (default: the active context) with the remote span context found in
 * `headers`, or `base` unchanged when the headers carry none.
 */
export function extractTraceContext(api: OtelApi, headers: unknown, base?: Context): Context {
  const from = base ?? api.context.active();
  if (typeof headers !== 'object' || headers === null) return from;
  const parsed = parseTraceparent((headers as Record<string, unknown>)[TRACEPARENT]);
  if (!parsed) return from;
  const state = (headers as Record<string, unknown>)[TRACESTATE];
  const spanContext: SpanContext =
    typeof state === 'string' && state.length > 0
      ? { ...parsed, traceState: api.createTraceState(state) }
      : parsed;
  return api.trace.setSpanContext(from, spanContext);
}
