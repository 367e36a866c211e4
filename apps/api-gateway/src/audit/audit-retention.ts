import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { AuditConfig } from './audit.config.js';

/** Resources whose latest entries explain what they are now, while they still exist. */
const LASTING = ['integration', 'rule', 'policy', 'workspace', 'member', 'api_key'];
/** Actions after which a resource no longer exists (or no longer works). */
const ENDING = ['deleted', 'rule_deleted', 'policy_deleted', 'member_removed', 'api_key_revoked'];
const BATCH = 5_000;

/**
 * Removes audit entries older than the retention, in batches, except those behind current
 * state: for a resource that still exists, its newest entry of each action (the connect behind
 * "connected", the rule_disabled behind a disabled rule, the member_added behind a member) stays
 * however old it is. Only the read model shrinks: the event logs are append-only and keep
 * everything, so a replay rebuilds the log, and the next expiry trims it the same way.
 */
export async function expireAuditEntries(
  db: Pick<DataSource, 'query'>,
  olderThan: Date,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const rows: { n: number }[] = await db.query(
      `WITH doomed AS (
         SELECT a.workspace_id, a.sort_key FROM gateway.audit_log a
          WHERE a.occurred_at < $1
            AND NOT (
              a.resource_type = ANY($2)
              AND NOT EXISTS (
                SELECT 1 FROM gateway.audit_log e
                 WHERE e.workspace_id = a.workspace_id AND e.resource_type = a.resource_type
                   AND e.resource_id = a.resource_id AND e.action = ANY($3))
              AND NOT EXISTS (
                SELECT 1 FROM gateway.audit_log n
                 WHERE n.workspace_id = a.workspace_id AND n.resource_type = a.resource_type
                   AND n.resource_id = a.resource_id AND n.action = a.action
                   AND n.sort_key > a.sort_key))
          LIMIT $4),
       gone AS (
         DELETE FROM gateway.audit_log x USING doomed d
          WHERE x.workspace_id = d.workspace_id AND x.sort_key = d.sort_key RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [olderThan, LASTING, ENDING, BATCH],
    );
    removed += rows[0]!.n;
    if (rows[0]!.n < BATCH) return removed;
  }
}

/** Runs the expiry every AUDIT_EXPIRY_INTERVAL_MS on whichever replica takes the lock. */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: AuditConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.AUDIT_EXPIRY_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One expiry pass, if no other replica is running one. */
  tick(): Promise<void> {
    this.running ??= this.expire().finally(() => (this.running = undefined));
    return this.running;
  }

  private async expire(): Promise<void> {
    const horizon = new Date(Date.now() - this.config.AUDIT_RETENTION_DAYS * 86_400_000);
    try {
      await this.dataSource.transaction(async (tx) => {
        const [{ locked }] = await tx.query(
          `SELECT pg_try_advisory_xact_lock(hashtext('audit-retention')) AS locked`,
        );
        if (!locked) return;
        const removed = await expireAuditEntries(tx, horizon);
        if (removed > 0) this.logger.info({ removed, horizon }, 'expired audit entries');
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'audit expiry failed; retrying at the next interval');
    }
  }
}
