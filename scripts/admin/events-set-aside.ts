import { createDataSource } from '#libs/database/src/index.js';
import { UsageError, type AdminCommand } from './command.js';
import { DEFAULT_DATABASE_URL } from '../stack/paths.js';

/** The schemas that keep an event log with a publisher. */
const LOGS = ['integration', 'gateway', 'rules'];

/**
 * `events:set-aside`: events a publisher could not put on the bus (too large for one message)
 * and stepped past so the rest kept flowing, newest first, from every event log.
 */
export const eventsSetAside: AdminCommand = {
  name: 'events:set-aside',
  usage: 'events:set-aside',
  async run(args, env) {
    if (args.length > 0) throw new UsageError('takes no arguments');
    const dataSource = createDataSource({
      url: env.DATABASE_URL || DEFAULT_DATABASE_URL,
      schema: 'public',
      migrations: [],
      applicationName: 'admin-cli',
      poolSize: 1,
    });
    await dataSource.initialize();
    try {
      const events = [];
      for (const schema of LOGS) {
        const [found] = await dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
          `${schema}.event_publisher_set_aside`,
        ]);
        if (!found?.present) continue;
        const rows: Record<string, unknown>[] = await dataSource.query(
          `SELECT publisher, position::text AS position, event_id AS "eventId", type,
                  stream_id AS "streamId", workspace_id AS "workspaceId", bytes, reason,
                  set_aside_at AS "setAsideAt"
           FROM ${schema}.event_publisher_set_aside ORDER BY set_aside_at DESC, position DESC`,
        );
        events.push(...rows.map((row) => ({ log: schema, ...row })));
      }
      return { events };
    } finally {
      await dataSource.destroy();
    }
  },
};
