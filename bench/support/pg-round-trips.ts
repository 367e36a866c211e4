import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pg from 'pg';

/**
 * Preloaded (`--import`, see `roundTripArgs`) into a service a bench measures: counts the
 * statements the process sends to Postgres (every `Client#query`, pooled or not, BEGIN and COMMIT
 * included: one round trip each) and writes the count to PG_ROUND_TRIPS_FILE four times a second.
 * Imported by the bench itself (no PG_ROUND_TRIPS_FILE there) it only reads.
 */
const file = process.env.PG_ROUND_TRIPS_FILE;
if (file) {
  let count = 0;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  // Written aside and renamed, so that the bench never reads a file cut short.
  setInterval(() => {
    writeFileSync(`${file}.next`, String(count));
    renameSync(`${file}.next`, file);
  }, 250).unref();
}

/** The node flags that preload the counter into a service. */
export function roundTripArgs(): string[] {
  return ['--import', new URL('./pg-round-trips.js', import.meta.url).href];
}

/** The count a service last wrote to `path` (0 before its first write). */
export function roundTrips(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * Round-trip counting for the services of one bench run (on the database `dbUrl` names): `env`
 * and `nodeArgs` to start a service with, and `count` of what it has sent so far.
 */
export function roundTripCounters(dbUrl: string) {
  const file = (service: string) =>
    `${tmpdir()}/${dbUrl.split('/').pop()}-${service}.pg-round-trips`;
  return {
    env: (service: string) => ({ PG_ROUND_TRIPS_FILE: file(service) }),
    nodeArgs: roundTripArgs(),
    count: (service: string) => roundTrips(file(service)),
  };
}
