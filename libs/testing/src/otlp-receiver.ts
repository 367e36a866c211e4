import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
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

const unzipped = (headers: IncomingHttpHeaders, chunks: Buffer[]) => {
  const body = Buffer.concat(chunks);
  return headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
};

/**
 * The spans in an OTLP protobuf ExportTraceServiceRequest: resource_spans (field 1), their
 * scope_spans (field 2), their spans (field 2), read from the wire format's framing alone.
 */
function spansIn(request: Uint8Array): number {
  let spans = 0;
  fieldsOf(request, (field, resourceSpans) => {
    if (field !== 1) return;
    fieldsOf(resourceSpans, (field, scopeSpans) => {
      if (field !== 2) return;
      fieldsOf(scopeSpans, (field) => {
        if (field === 2) spans++;
      });
    });
  });
  return spans;
}

/** Calls `onField` with each length-delimited field of one protobuf message; skips the rest. */
function fieldsOf(message: Uint8Array, onField: (field: number, value: Uint8Array) => void): void {
  let pos = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = message[pos++];
      if (byte === undefined) throw new Error('truncated protobuf');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (pos < message.length) {
    const key = varint();
    const wireType = key % 8;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      if (pos + length > message.length) throw new Error('truncated protobuf');
      onField(Math.floor(key / 8), message.subarray(pos, pos + length));
      pos += length;
    } else throw new Error(`unexpected protobuf wire type ${wireType}`);
  }
}

/**
 * A trace collector for tests and benches: a real HTTP server on loopback that takes what the
 * OpenTelemetry SDK exports with OTEL_EXPORTER_OTLP_PROTOCOL=http/json (POST /v1/traces, the OTLP
 * JSON encoding, gzip or not) and keeps the spans. Started with `keep: false` it also takes the
 * SDK's default, http/protobuf, and counts its spans without decoding them further. Other content
 * types get 415, as a collector without that protocol would answer.
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
        const type = String(request.headers['content-type']);
        if (type.startsWith('application/x-protobuf') && !this.keep) {
          try {
            const spans = spansIn(unzipped(request.headers, chunks));
            this.requests++;
            this.received += spans;
            response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          } catch (error) {
            response.writeHead(400).end((error as Error).message);
          }
          return;
        }
        if (!type.startsWith('application/json')) {
          response.writeHead(415, { 'content-type': 'application/json' });
          response.end('{"message":"send OTLP as JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)"}');
          return;
        }
        try {
          const body = unzipped(request.headers, chunks);
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
