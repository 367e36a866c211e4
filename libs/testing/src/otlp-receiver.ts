import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carries it, with the service that sent it. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  /** Start and end, in milliseconds since the epoch (fractional): where a request's time went. */
  startMs: number;
  endMs: number;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano?: string;
        endTimeUnixNano?: string;
        attributes?: KeyValue[];
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}

const valueOf = (v: AnyValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));

const millisecondsOf = (nanos: string | undefined) =>
  nanos === undefined ? 0 : Number(BigInt(nanos) / 1_000n) / 1_000;

const attributesOf = (list: KeyValue[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));

/**
 * A trace collector for tests and benches: a real HTTP server on loopback that takes what the
 * OpenTelemetry SDK exports with OTEL_EXPORTER_OTLP_PROTOCOL=http/json (POST /v1/traces, the OTLP
 * JSON encoding, gzip or not) and keeps the spans. Other content types get 415, as a collector
 * without that protocol would answer.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests and spans taken, for benches that only count. */
  requests = 0;
  received = 0;

  private readonly server: Server;
  url = '';

  private constructor(private readonly keep: boolean) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces') {
          response.writeHead(404).end();
          return;
        }
        if (!String(request.headers['content-type']).startsWith('application/json')) {
          response.writeHead(415, { 'content-type': 'application/json' });
          response.end('{"message":"send OTLP as JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)"}');
          return;
        }
        try {
          let body = Buffer.concat(chunks);
          if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          this.take(JSON.parse(body.toString('utf8')) as ExportRequest);
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: (error as Error).message }));
        }
      });
    });
  }

  /** `keep: false` decodes and counts without keeping spans (a long benchmark run). */
  static async start({ keep = true } = {}): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(keep);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    const address = receiver.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    receiver.url = `http://127.0.0.1:${port}`;
    return receiver;
  }

  private take(request: ExportRequest): void {
    this.requests++;
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      const service = String(resource['service.name'] ?? 'unknown');
      for (const scope of resourceSpans.scopeSpans ?? []) {
        this.received += scope.spans?.length ?? 0;
        for (const span of scope.spans ?? []) {
          if (!this.keep) continue;
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
            startMs: millisecondsOf(span.startTimeUnixNano),
            endMs: millisecondsOf(span.endTimeUnixNano),
          });
        }
      }
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
