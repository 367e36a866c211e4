import { nanos } from '@nats-io/transport-node';
import {
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { StreamDefinition, StreamLimits } from '#libs/contracts/src/index.js';

export interface StreamOptions {
  /** Per stream name, limits that replace the definition's defaults when the stream is created. */
  limits?: Record<string, Partial<StreamLimits>>;
  /** Copies of each stream in a JetStream cluster (3 on a three-node cluster); 1 on one server. */
  replicas?: number;
}

/** The configuration a missing stream is created with: the definition, then the overrides. */
export function streamConfig(
  stream: StreamDefinition,
  options: StreamOptions = {},
): Partial<StreamConfig> & { name: string } {
  const limits = { ...stream.limits, ...options.limits?.[stream.name] };
  return {
    name: stream.name,
    subjects: [...stream.subjects],
    retention:
      stream.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(stream.duplicateWindowMs),
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    max_msgs: limits.maxMsgs ?? -1,
    num_replicas: options.replicas ?? 1,
  };
}

/**
 * Creates each missing stream with its defaults; a stream that exists keeps its settings (an
 * operator may have raised a limit or the replica count) and only gains the subjects this
 * version of the code needs and it lacks. Any number of replicas starting at once give one shape.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  streams: readonly StreamDefinition[],
  options: StreamOptions = {},
): Promise<void> {
  for (const stream of streams) {
    let existing: StreamConfig;
    try {
      existing = (await jsm.streams.info(stream.name)).config;
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      try {
        await jsm.streams.add(streamConfig(stream, options));
        continue;
      } catch (addError) {
        // Another replica created it between our look and our add: fall through and compare.
        existing = (await jsm.streams.info(stream.name).catch(() => Promise.reject(addError)))
          .config;
      }
    }
    const missing = stream.subjects.filter((subject) => !existing.subjects?.includes(subject));
    if (missing.length > 0) {
      await jsm.streams.update(stream.name, {
        ...existing,
        subjects: [...(existing.subjects ?? []), ...missing],
      });
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /stream not found/i.test(message);
}
