import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { DataSource, QueryRunner } from 'typeorm';
import {
  envelopeCausedBy,
  IntegrationSubjects,
  type DisconnectIntegrationCommand,
  type GithubWebhookEnvelope,
  type GithubWebhookOutcome,
  type Reply,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import { InstallationConfirmation } from './installation-confirmation.js';
import { planDelivery, type Plan, type RepoChange } from './plan.js';
import { WEBHOOK_INVENTORY, type WebhookInventory } from './webhook-inventory.js';

/** The integration service did not take the disconnect: try again later. */
export class DisconnectNotTaken extends Error {
  override name = 'DisconnectNotTaken';
}

/**
 * Does what one delivery asks, once. Everything happens in one Postgres transaction that first
 * records the delivery id (a second copy finds it and stops) and, per repository, takes an
 * advisory lock and moves the repository's version forward only if this delivery is newer; if
 * anything fails the transaction rolls back, so a retry starts clean.
 */
@Injectable()
export class DeliveryProcessor {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(WEBHOOK_INVENTORY) private readonly inventory: WebhookInventory,
    @Inject(InstallationConfirmation) private readonly confirmation: InstallationConfirmation,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async process(
    envelope: GithubWebhookEnvelope,
    streamSeq: number,
    attempt: number,
  ): Promise<GithubWebhookOutcome> {
    const delivery = envelope.data;
    const plan = planDelivery(delivery);
    if (plan.kind === 'ignore' || !envelope.workspaceId) {
      // Nothing to apply: one statement records (and counts) it, and finds a second copy.
      const outcome: GithubWebhookOutcome = envelope.workspaceId ? 'ignored' : 'no_workspace';
      const recorded = await this.dataSource.query(
        `INSERT INTO scanner.webhook_deliveries (delivery_id, event, action, workspace_id, outcome, attempts)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id) DO NOTHING RETURNING 1`,
        [
          delivery.deliveryId,
          delivery.event,
          delivery.action,
          envelope.workspaceId,
          outcome,
          attempt,
        ],
      );
      return recorded.length === 0 ? 'duplicate' : outcome;
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const fresh = await runner.query(
        `INSERT INTO scanner.webhook_deliveries (delivery_id, event, action, workspace_id, outcome, attempts)
         VALUES ($1, $2, $3, $4, 'processing', $5) ON CONFLICT (delivery_id) DO NOTHING RETURNING 1`,
        [delivery.deliveryId, delivery.event, delivery.action, envelope.workspaceId, attempt],
      );
      if (fresh.length === 0) {
        await runner.rollbackTransaction();
        return 'duplicate';
      }
      const outcome = await this.carryOut(runner, envelope, plan, streamSeq);
      await runner.query(
        `UPDATE scanner.webhook_deliveries SET outcome = $2 WHERE delivery_id = $1`,
        [delivery.deliveryId, outcome],
      );
      await runner.commitTransaction();
      return outcome;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async carryOut(
    runner: QueryRunner,
    envelope: GithubWebhookEnvelope,
    plan: Plan,
    streamSeq: number,
  ): Promise<GithubWebhookOutcome> {
    const workspaceId = envelope.workspaceId!;
    switch (plan.kind) {
      case 'ignore':
        return 'ignored';
      case 'disconnect': {
        const installationId = envelope.data.installationId;
        if (installationId === null || !(await this.confirmation.confirms(installationId))) {
          this.logger.warn(
            { deliveryId: envelope.data.deliveryId, installationId, reason: plan.reason },
            'GitHub does not confirm this uninstall or suspension: nothing disconnected',
          );
          return 'unconfirmed';
        }
        await this.disconnect(envelope, plan.reason);
        return 'disconnected';
      }
      case 'recompute-permissions':
        await this.inventory.recomputePermissions(workspaceId);
        return 'recomputed';
      case 'rescan-repo':
        await this.inventory.rescanRepo(workspaceId, plan.fullName);
        return 'recomputed';
      case 'repos': {
        let applied = 0;
        for (const change of plan.changes) {
          if (await this.claim(runner, workspaceId, change, streamSeq)) {
            await this.apply(workspaceId, change);
            applied++;
          }
        }
        return applied > 0 || plan.changes.length === 0 ? 'applied' : 'stale';
      }
    }
  }

  /**
   * Moves the repository's version to this delivery's, under a per-repository lock held until
   * commit, unless a newer (or equally new, later-stored) delivery already set it or the
   * repository was deleted. False: this delivery is older than what is applied.
   */
  private async claim(
    runner: QueryRunner,
    workspaceId: string,
    change: RepoChange,
    streamSeq: number,
  ): Promise<boolean> {
    const githubId = change.kind === 'remove' ? change.githubId : change.repo.githubId;
    await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
      `webhook-repo:${workspaceId}:${githubId}`,
    ]);
    const rows = await runner.query(
      `INSERT INTO scanner.webhook_repo_versions AS v
         (workspace_id, github_id, version_at, stream_seq, present, deleted)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (workspace_id, github_id) DO UPDATE SET
         version_at = EXCLUDED.version_at, stream_seq = EXCLUDED.stream_seq,
         present = EXCLUDED.present, deleted = EXCLUDED.deleted
       WHERE NOT v.deleted AND (v.version_at, v.stream_seq) < (EXCLUDED.version_at, EXCLUDED.stream_seq)
       RETURNING 1`,
      [
        workspaceId,
        githubId,
        change.version.at,
        streamSeq,
        change.kind !== 'remove',
        change.kind === 'remove' && change.deleted,
      ],
    );
    return rows.length > 0;
  }

  private async apply(workspaceId: string, change: RepoChange): Promise<void> {
    switch (change.kind) {
      case 'upsert':
        await this.inventory.upsertRepo(workspaceId, change.repo);
        return;
      case 'rename':
        // Renamed before we ever saw it: store it under the new name.
        if (
          !(await this.inventory.renameRepo(
            workspaceId,
            change.repo.githubId,
            change.repo.fullName,
          ))
        ) {
          await this.inventory.upsertRepo(workspaceId, change.repo);
        }
        return;
      case 'remove':
        await this.inventory.removeRepo(workspaceId, change.githubId);
        return;
    }
  }

  /**
   * Uninstall or suspension: the integration service disconnects the workspace's GitHub
   * integration, with this delivery as cause, and disables the rules that depend on it exactly as
   * a manual disconnect does. Already disconnected (not found) counts as done; anything else
   * is retried.
   */
  private async disconnect(envelope: GithubWebhookEnvelope, reason: string): Promise<void> {
    const data: DisconnectIntegrationCommand = {
      provider: 'github',
      ...(envelope.data.integrationId ? { integrationId: envelope.data.integrationId } : {}),
      reason,
    };
    const command = envelopeCausedBy(envelope, {
      type: IntegrationSubjects.disconnect,
      data,
      actor: 'github-webhook',
      idempotencyKey: `github-webhook:${envelope.data.deliveryId}`,
    });
    let reply: Reply<unknown>;
    try {
      reply = await this.bus.request(IntegrationSubjects.disconnect, command, 5_000);
    } catch (error) {
      throw new DisconnectNotTaken(error instanceof Error ? error.message : String(error));
    }
    if (reply.ok) return;
    // Only "not connected" means done. A conflict is a write race (or a reused key) that the
    // integration service did not resolve: retried with the delivery's backoff, then parked.
    if (reply.error.kind === 'not_found') {
      this.logger.info(
        { deliveryId: envelope.data.deliveryId, code: reply.error.code },
        'GitHub uninstall: the integration was already disconnected',
      );
      return;
    }
    throw new DisconnectNotTaken(`${reply.error.code}: ${reply.error.message}`);
  }
}
