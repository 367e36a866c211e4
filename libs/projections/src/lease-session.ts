import pg from 'pg';
import { checkpointUpsert } from './checkpoint-sql.js';
import type { CheckpointRow, Db } from './projection.js';

/** The pg client under the leader's query runner, as far as the lease uses it. */
export interface LeaseClient {
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ command: string; rows: unknown[]; rowCount: number | null }>;
}

/**
 * The leader's own session (the one holding its advisory lock), where its applies run: straight
 * on the pg client, one round trip per statement, with the checkpoint and the COMMIT sent
 * together. Statements answer as TypeORM's `query` does (rows; `[rows, count]` for UPDATE and
 * DELETE), so a projection's `apply` reads the same whichever `Db` it is given.
 */
export class LeaseSession {
  readonly db: Db;

  constructor(
    private readonly client: LeaseClient,
    private readonly checkpointTable: string,
  ) {
    this.db = {
      query: async (text: string, values?: unknown[]) => {
        const result = await client.query(text, values);
        return (
          result.command === 'UPDATE' || result.command === 'DELETE'
            ? [result.rows, result.rowCount]
            : result.rows
        ) as never;
      },
    };
  }

  begin(): Promise<unknown> {
    return this.client.query('BEGIN');
  }

  /**
   * Records the checkpoint and commits, in one message: a simple-protocol statement pair, so the
   * values are written as literals (a name escaped, two integers checked).
   */
  async recordAndCommit(row: CheckpointRow): Promise<void> {
    const position = BigInt(row.position).toString();
    if (!Number.isSafeInteger(row.streamSeq))
      throw new Error(`bad stream sequence ${row.streamSeq}`);
    const values = `${pg.escapeLiteral(row.projection)}, ${position}, ${row.streamSeq}`;
    await this.client.query(`${checkpointUpsert(this.checkpointTable, values)}; COMMIT`);
  }

  rollback(): Promise<unknown> {
    return this.client.query('ROLLBACK');
  }
}
