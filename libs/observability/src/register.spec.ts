import { describe, expect, test } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state.js';

describe('tracing is configured by the standard variables', () => {
  test('given no OTLP endpoint, when register loads, then no SDK starts and spans record nothing', async () => {
    // Given the environment of a service with no collector
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) {
      delete process.env[name];
    }

    // When the preload every service starts with runs
    await import('./register.js');

    // Then nothing was started, and a span is the API's no-op: nothing to export, ever
    expect(tracingEnabled()).toBe(false);
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
  });
});
