import type { DataSource } from 'typeorm';
import type { Bus } from '#libs/messaging/src/index.js';
import type { ReadinessCheck } from './readiness-check.js';

/** The checks every service shares: its database, the bus, and the streams it relies on. */
export function coreReadinessChecks(dataSource: DataSource, bus: Bus): ReadinessCheck[] {
  return [
    { name: 'postgres', check: async () => void (await dataSource.query('SELECT 1')) },
    { name: 'nats', check: () => bus.ping() },
    { name: 'jetstream', check: () => bus.checkStreams() },
  ];
}
