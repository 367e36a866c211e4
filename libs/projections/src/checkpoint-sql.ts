import type { CheckpointRow, Db } from './projection.js';

/** The table of a service's projection checkpoints. */
export const checkpointTable = (schema: string) => `${schema}.projection_checkpoints`;

/** The checkpoint's upsert, given its three values (projection, position, stream sequence). */
export const checkpointUpsert = (table: string, values: string) =>
  `INSERT INTO ${table} (projection, position, stream_seq, updated_at)
   VALUES (${values}, now())
   ON CONFLICT (projection) DO UPDATE SET position = EXCLUDED.position,
     stream_seq = EXCLUDED.stream_seq, updated_at = now()`;

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
export async function writeWithCheckpoint(
  db: Db,
  schema: string,
  writes: BatchWrites,
  checkpoint: CheckpointRow,
): Promise<void> {
  const n = writes.values.length;
  const prefix = writes.ctes.length > 0 ? `WITH ${writes.ctes.join(',\n')}\n` : '';
  await db.query(
    prefix + checkpointUpsert(checkpointTable(schema), `$${n + 1}, $${n + 2}, $${n + 3}`),
    [...writes.values, checkpoint.projection, checkpoint.position, checkpoint.streamSeq],
  );
}
