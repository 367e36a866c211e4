import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { join, sql, type Sql } from '#libs/event-store/src/index.js';
import { DATA_SOURCE, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { WebhookConfig } from './webhook.config.js';

/**
 * A captured delivery replayed under a new `X-GitHub-Delivery` is still the same signed body.
 * Intake remembers each accepted body's SHA-256 with the delivery id it first came under, for
 * GitHub's redelivery window (GITHUB_WEBHOOK_REPLAY_WINDOW_HOURS, 72: GitHub redelivers
 * deliveries of the past three days). The same body under another id is a replay; under the same
 * id it is GitHub's own redelivery, which goes on (JetStream dedupes it by id, and one that was
 * never stored gets stored now).
 */
@Injectable()
export class ReplayGuard implements OnModuleInit, OnModuleDestroy {
  private pruning: NodeJS.Timeout | undefined;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: WebhookConfig,
  ) {}

  /**
   * Remembers this body under `deliveryId` unless it was accepted within the window under
   * another id, as a query of `delivery_id` (the id it was first accepted under) that intake runs
   * with its other lookups (DeliveryAdmission); it writes only when `when` (SQL) holds.
   */
  rememberQuery(rawBody: Buffer, deliveryId: string, when: string): Sql {
    const hash = createHash('sha256').update(rawBody).digest();
    const hours = this.config.GITHUB_WEBHOOK_REPLAY_WINDOW_HOURS;
    const head = sql`INSERT INTO gateway.github_webhook_bodies AS b (body_sha256, delivery_id, accepted_at)
       SELECT ${hash}::bytea, ${deliveryId}, now() WHERE `;
    const tail = sql`
       ON CONFLICT (body_sha256) DO UPDATE
         SET delivery_id = CASE WHEN b.accepted_at < now() - make_interval(hours => ${hours}::int)
                                THEN EXCLUDED.delivery_id ELSE b.delivery_id END,
             accepted_at = CASE WHEN b.accepted_at < now() - make_interval(hours => ${hours}::int)
                                THEN now() ELSE b.accepted_at END
       RETURNING delivery_id`;
    return join([head, tail], ([h, t]) => `${h}(${when})${t}`);
  }

  onModuleInit(): void {
    const prune = () =>
      void this.dataSource
        .query(
          `DELETE FROM gateway.github_webhook_bodies
           WHERE accepted_at < now() - make_interval(hours => $1)`,
          [this.config.GITHUB_WEBHOOK_REPLAY_WINDOW_HOURS],
        )
        .catch(() => undefined);
    this.pruning = setInterval(prune, 10 * 60_000);
    this.pruning.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruning);
  }
}
