import type pg from 'pg';

/**
 * Runs `work` on a connection taken from `pool` for several statements (a transaction). A held
 * connection that the server drops (Postgres dying or restarting) emits 'error' while no query
 * runs on it; unheard, that ends the process. Here the next query fails instead, and the broken
 * connection is destroyed rather than given back to the pool.
 */
export async function withHeldClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => (lost = error);
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
