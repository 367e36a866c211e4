/**
 * Tracing for one service process, loaded before the application with
 * `node --import ./dist/libs/observability/src/register.js dist/apps/<service>/src/main.js`
 * (npm start, docker-compose, the Dockerfile and the tests' service processes do this): with ESM
 * the instrumented modules (http, pg, fetch) must be patched before anything imports them.
 *
 * Configured by OpenTelemetry's standard variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_BSP_*...). With no
 * endpoint set it loads nothing: no SDK, no patches, no exporter.
 */
import { markTracingEnabled, setTracingShutdown } from './tracing-state.js';

const endpoint =
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const disabled =
  process.env.OTEL_SDK_DISABLED === 'true' || process.env.OTEL_TRACES_EXPORTER === 'none';

if (endpoint && !disabled) {
  const [{ NodeSDK }, { HttpInstrumentation }, { PgInstrumentation }, { UndiciInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-undici'),
    ]);
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME wins; otherwise the service's own name from its entry point.
    ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: serviceFromEntry() }),
    instrumentations: [
      // Outgoing requests only: each service's Fastify hooks make its server spans, at a
      // fraction of the cost (see http-tracing.ts).
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new PgInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
    // Traces only: metrics are Prometheus's (GET /metrics), logs go to stdout.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  markTracingEnabled();
  setTracingShutdown(() => sdk.shutdown());
}

function serviceFromEntry(): string {
  const match = /apps\/([^/]+)\/src\/main\.js$/.exec(process.argv[1] ?? '');
  return match?.[1] ?? 'integrations-platform';
}
