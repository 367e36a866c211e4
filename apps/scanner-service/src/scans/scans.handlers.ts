import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  fail,
  ok,
  ScannerEventTypes,
  ScannerSubjects,
  type Envelope,
  type InvalidateCacheResult,
  type Reply,
  type ScanOrgResult,
  type ScanPermissionsResult,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { ConditionalCache } from '../github/conditional-cache.js';
import { GithubApp } from '../github/github-app.js';
import { InstallationStore } from '../installations/installation.store.js';
import { parseBaseline, type Baseline } from '../drift/baseline.js';
import {
  grantedPermissions,
  missingPermissions,
  requiredPermissions,
  skippedChecks,
} from './required-permissions.js';
import type { ScanConfig } from './scan.config.js';
import { enqueueScanJob } from './scan-jobs.js';
import { ScanStore } from './scan.store.js';
import { ScannerEvents } from './scanner-events.js';

const notConnected = () =>
  fail(
    'conflict',
    'github_not_connected',
    'GitHub is not connected for this workspace: connect it with installationId and accountLogin first',
  );

/** The scanner's request/reply commands; the work itself runs from the job queue. */
@Controller()
export class ScansHandlers {
  private readonly baseline: Baseline;

  constructor(
    @Inject(SERVICE_CONFIG) config: ScanConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ScanStore) private readonly scans: ScanStore,
    @Inject(InstallationStore) private readonly installations: InstallationStore,
    @Inject(GithubApp) private readonly github: GithubApp,
    @Inject(ScannerEvents) private readonly events: ScannerEvents,
  ) {
    this.baseline = parseBaseline(config.SCAN_BASELINE);
  }

  @MessagePattern(ScannerSubjects.scanOrg)
  async scanOrg(@Payload() command: Envelope): Promise<Reply<ScanOrgResult>> {
    const workspaceId = command.workspaceId;
    if (!workspaceId) return fail('validation', 'workspace_required', 'a workspace is required');
    const installation = await this.installations.get(workspaceId);
    if (!installation?.connected) return notConnected();
    const { scan, created } = await this.scans.createOrJoin({
      workspaceId,
      installationId: installation.installationId,
      accountLogin: installation.accountLogin,
      correlationId: command.correlationId,
    });
    if (created) {
      try {
        // The gateway shows the scan as queued until a replica starts it.
        await this.events.publish(
          ScannerEventTypes.scanQueued,
          workspaceId,
          { scanId: scan.id, startedAt: scan.startedAt.toISOString() },
          {
            messageId: `${scan.id}:queued`,
            correlationId: command.correlationId,
            causationId: command.id,
            ...(command.actor ? { actor: command.actor } : {}),
            ...(command.actorKeyId ? { actorKeyId: command.actorKeyId } : {}),
          },
        );
        await enqueueScanJob(
          this.bus,
          { kind: 'scan', workspaceId, scanId: scan.id },
          `scan:${scan.id}`,
        );
      } catch (error) {
        // Never leave a queued scan that no worker will ever see.
        const failed = await this.scans.fail(scan.id, 'could not queue the scan');
        if (failed) {
          await this.events
            .publish(
              ScannerEventTypes.scanFailed,
              workspaceId,
              {
                scanId: scan.id,
                startedAt: failed.startedAt.toISOString(),
                failedAt: new Date().toISOString(),
                reason: 'could not queue the scan',
                reposScanned: 0,
                reposTotal: 0,
              },
              { messageId: `${scan.id}:failed`, correlationId: command.correlationId },
            )
            .catch(() => undefined);
        }
        this.logger.error({ err: error }, 'could not queue a scan');
        return fail(
          'unavailable',
          'scan_queue_unavailable',
          'the scan queue is not reachable; retry',
        );
      }
    }
    return ok({
      scanId: scan.id,
      status: scan.status,
      startedAt: scan.startedAt.toISOString(),
      alreadyRunning: !created,
    });
  }

  @MessagePattern(ScannerSubjects.invalidateCache)
  async invalidateCache(@Payload() command: Envelope): Promise<Reply<InvalidateCacheResult>> {
    const workspaceId = command.workspaceId;
    if (!workspaceId) return fail('validation', 'workspace_required', 'a workspace is required');
    const cleared = await ConditionalCache.clear(this.dataSource, workspaceId);
    const clearedAt = new Date().toISOString();
    await this.events.publish(
      ScannerEventTypes.cacheInvalidated,
      workspaceId,
      { clearedAt },
      {
        correlationId: command.correlationId,
        causationId: command.id,
        ...(command.actor ? { actor: command.actor } : {}),
        ...(command.actorKeyId ? { actorKeyId: command.actorKeyId } : {}),
      },
    );
    return ok({ cachedResponsesCleared: cleared, clearedAt });
  }

  @MessagePattern(ScannerSubjects.permissions)
  async permissions(@Payload() query: Envelope): Promise<Reply<ScanPermissionsResult>> {
    const workspaceId = query.workspaceId;
    if (!workspaceId) return fail('validation', 'workspace_required', 'a workspace is required');
    const installation = await this.installations.get(workspaceId);
    if (!installation?.connected) return notConnected();
    if (!this.github.configured) {
      return fail('unavailable', 'github_app_not_configured', 'no GitHub App is configured');
    }
    let granted: Record<string, string>;
    try {
      granted = await grantedPermissions(this.github, installation.installationId);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) {
        return fail(
          'not_found',
          'installation_not_found',
          'GitHub does not know this installation',
        );
      }
      return fail(
        'unavailable',
        'github_unavailable',
        `GitHub did not answer the permission check (${status ?? (error as Error).message})`,
      );
    }
    const missing = missingPermissions(granted, this.baseline);
    return ok({
      installationId: installation.installationId,
      sufficient: missing.length === 0,
      required: requiredPermissions(this.baseline),
      granted,
      missing,
      skippedChecks: skippedChecks(granted, this.baseline),
    });
  }
}
