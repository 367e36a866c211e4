import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OtlpReceiver } from './otlp-receiver.js';

/** Exports three spans (one with an attribute and a link) the way a service's SDK would. */
async function exportThreeSpans(exporter: SpanExporter): Promise<void> {
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('otlp-receiver-spec');
  const first = tracer.startSpan('first', { attributes: { 'http.route': '/api/integrations' } });
  first.end();
  tracer.startSpan('second', { links: [{ context: first.spanContext() }] }).end();
  tracer.startSpan('third').end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('OtlpReceiver', () => {
  let counting: OtlpReceiver;
  let keeping: OtlpReceiver;

  beforeAll(async () => {
    counting = await OtlpReceiver.start({ keep: false });
    keeping = await OtlpReceiver.start({ keep: true });
  });

  afterAll(async () => {
    await counting?.close();
    await keeping?.close();
  });

  test('given the SDK default protocol (http/protobuf), a counting receiver counts every span', async () => {
    await exportThreeSpans(new ProtobufExporter({ url: `${counting.url}/v1/traces` }));
    expect(counting.received).toBe(3);
    expect(counting.requests).toBeGreaterThanOrEqual(1);
  });

  test('given http/json, a keeping receiver keeps the spans with their names and links', async () => {
    await exportThreeSpans(new JsonExporter({ url: `${keeping.url}/v1/traces` }));
    expect(keeping.spans.map((s) => s.name).sort()).toEqual(['first', 'second', 'third']);
    const [first] = keeping.spans.filter((s) => s.name === 'first');
    expect(keeping.spans.find((s) => s.name === 'second')?.links).toEqual([
      { traceId: first!.traceId, spanId: first!.spanId },
    ]);
  });

  test('given protobuf, a keeping receiver answers 415 rather than keep what it cannot read', async () => {
    const response = await fetch(`${keeping.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([10, 0]),
    });
    expect(response.status).toBe(415);
  });
});
