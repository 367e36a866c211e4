import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge } from 'prom-client';
import { bounded, family } from './registry.js';

const JETSTREAM_SILENT = 'JetStream did not answer';

/** What a service reads at scrape time: its JetStream manager and the streams it declared. */
export interface JetStreamSource {
  jsm: JetStreamManager;
  streams: readonly { name: string }[];
}

interface Snapshot {
  streams: { stream: string; messages: number; bytes: number }[];
  consumers: {
    stream: string;
    consumer: string;
    pending: number;
    ackPending: number;
    redelivered: number;
  }[];
}

const sources = new Set<JetStreamSource>();
let inFlight: Promise<Snapshot> | undefined;

/**
 * Read from JetStream's own API when Prometheus scrapes (stream info and consumer list), so the
 * figures are the server's, not a count this process keeps. One read per scrape serves all five
 * families; a scrape that cannot reach JetStream within the bound shows the families empty.
 */
function snapshot(): Promise<Snapshot> {
  inFlight ??= read().finally(() => (inFlight = undefined));
  return inFlight;
}

async function read(): Promise<Snapshot> {
  const result: Snapshot = { streams: [], consumers: [] };
  const seen = new Set<string>();
  for (const source of sources) {
    for (const { name } of source.streams) {
      if (seen.has(name)) continue;
      seen.add(name);
      try {
        const info = await bounded(source.jsm.streams.info(name), 2_000, JETSTREAM_SILENT);
        result.streams.push({
          stream: name,
          messages: info.state.messages,
          bytes: info.state.bytes,
        });
        const consumers = await bounded(
          source.jsm.consumers.list(name).next(),
          2_000,
          JETSTREAM_SILENT,
        );
        for (const c of consumers) {
          result.consumers.push({
            stream: name,
            consumer: c.name,
            pending: c.num_pending,
            ackPending: c.num_ack_pending,
            redelivered: c.num_redelivered,
          });
        }
      } catch {
        // Unreachable or missing right now: readiness says so; the scrape still answers.
      }
    }
  }
  return result;
}

function consumerGauge(
  name: string,
  help: string,
  pick: (c: Snapshot['consumers'][number]) => number,
) {
  return family(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: ['stream', 'consumer'] as const,
        async collect() {
          const { consumers } = await snapshot();
          this.reset();
          for (const c of consumers) this.set({ stream: c.stream, consumer: c.consumer }, pick(c));
        },
      }),
  );
}

function streamGauge(name: string, help: string, pick: (s: Snapshot['streams'][number]) => number) {
  return family(
    name,
    () =>
      new Gauge({
        name,
        help,
        labelNames: ['stream'] as const,
        async collect() {
          const { streams } = await snapshot();
          this.reset();
          for (const s of streams) this.set({ stream: s.stream }, pick(s));
        },
      }),
  );
}

/** Shows the JetStream families on this process's `/metrics`; the returned function stops it. */
export function watchJetStream(source: JetStreamSource): () => void {
  consumerGauge(
    'jetstream_consumer_pending_messages',
    'Messages on the stream the consumer has not been delivered yet.',
    (c) => c.pending,
  );
  consumerGauge(
    'jetstream_consumer_ack_pending_messages',
    'Messages delivered to the consumer and not acknowledged yet.',
    (c) => c.ackPending,
  );
  consumerGauge(
    'jetstream_consumer_redelivered_messages',
    'Messages delivered to the consumer more than once and not acknowledged yet.',
    (c) => c.redelivered,
  );
  streamGauge('jetstream_stream_messages', 'Messages stored in the stream.', (s) => s.messages);
  streamGauge('jetstream_stream_bytes', 'Bytes stored in the stream.', (s) => s.bytes);
  sources.add(source);
  return () => sources.delete(source);
}
