import {
  context,
  propagation,
  trace,
  type Context,
  type Link,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * Headers of a NATS message as the W3C propagator sees them. nats.js has no OpenTelemetry
 * instrumentation, so the bus client writes `traceparent`/`tracestate` itself through these.
 */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
  keys(): string[];
}

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<HeaderCarrier | undefined> = {
  get: (carrier, key) => carrier?.get(key) || undefined,
  keys: (carrier) => carrier?.keys() ?? [],
};

/**
 * The propagation fields of `ctx` (the active context by default) as plain key/values, or
 * undefined when there is nothing to carry: with no tracer registered this costs one call and
 * allocates no headers.
 */
export function traceFields(ctx: Context = context.active()): Record<string, string> | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields, setter);
  return fields.traceparent === undefined ? undefined : fields;
}

/** The context a message's headers carry, on top of the active one. */
export function contextFromHeaders(headers: HeaderCarrier | undefined): Context {
  if (!headers) return context.active();
  return propagation.extract(context.active(), headers, getter);
}

/** The context that stored propagation fields (an event's metadata) describe. */
export function contextFromFields(fields: Record<string, string> | undefined): Context {
  if (!fields) return context.active();
  return propagation.extract(context.active(), fields, {
    get: (carrier, key) => carrier[key],
    keys: (carrier) => Object.keys(carrier),
  });
}

/** A link to the span a message's headers name, for work that happens later than its cause. */
export function linkFromHeaders(headers: HeaderCarrier | undefined): Link[] {
  if (!headers?.get('traceparent')) return [];
  const spanContext = trace.getSpanContext(propagation.extract(context.active(), headers, getter));
  return spanContext ? [{ context: spanContext }] : [];
}

/** Ids for log lines: `trace_id` and `span_id` of the active span, when there is a real one. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

export const tracer = trace.getTracer('integrations-platform');
