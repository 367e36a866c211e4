import type { CheckpointRow } from './projection.js';

/** A projection's writes as data-modifying CTEs (`name AS (...)`), numbered from `$1`. */
export interface BatchWrites {
  ctes: string[];
  values: unknown[];
}

/**
 * The one statement of a `checkpointInApply` projection: its writes, then the checkpoint's
 * upsert after them. Postgres runs every data-modifying CTE whether or not the statement reads
 * it, so all of it commits together without a transaction: one round trip per batch.
 */
export function withCheckpoint(
  schema: string,
  writes: BatchWrites,
  checkpoint: CheckpointRow,
): { text: string; values: unknown[] } {
  const n = writes.values.length;
  const prefix = writes.ctes.length > 0 ? `WITH ${writes.ctes.join(',\n')}\n` : '';
  return {
    text: `${prefix}INSERT INTO ${schema}.projection_checkpoints (projection, position, stream_seq, updated_at)
     VALUES ($${n + 1}, $${n + 2}, $${n + 3}, now())
     ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position,
       stream_seq = EXCLUDED.stream_seq, updated_at = now()`,
    values: [...writes.values, checkpoint.projection, checkpoint.position, checkpoint.streamSeq],
  };
}
