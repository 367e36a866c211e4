import { createDataSource } from '#libs/database/src/index.js';
import { UsageError, type AdminCommand } from './command.js';
import { DEFAULT_DATABASE_URL } from '../stack/paths.js';

/**
 * `webhooks:stats`: what the scanner did with GitHub deliveries, counted by event type and
 * outcome (applied, stale, ignored, recomputed, disconnected, ...), from its own table.
 */
export const webhooksStats: AdminCommand = {
  name: 'webhooks:stats',
  usage: 'webhooks:stats',
  async run(args, env) {
    if (args.length > 0) throw new UsageError('takes no arguments');
    const dataSource = createDataSource({
      url: env.DATABASE_URL || DEFAULT_DATABASE_URL,
      schema: 'scanner',
      migrations: [],
      applicationName: 'admin-cli',
      poolSize: 1,
    });
    await dataSource.initialize();
    try {
      const exists = await dataSource.query(
        `SELECT to_regclass('scanner.webhook_deliveries') IS NOT NULL AS present`,
      );
      if (!exists[0]?.present) return { deliveries: {} };
      const rows: { event: string; outcome: string; n: number }[] = await dataSource.query(
        `SELECT event, outcome, count(*)::int AS n FROM scanner.webhook_deliveries
         GROUP BY event, outcome ORDER BY event, outcome`,
      );
      const deliveries: Record<string, Record<string, number>> = {};
      for (const row of rows) (deliveries[row.event] ??= {})[row.outcome] = row.n;
      return { deliveries };
    } finally {
      await dataSource.destroy();
    }
  },
};
