import { Injectable, Module } from '@nestjs/common';
import { ScannerSubjects, Streams, type RepoFacts } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG, type ServiceSpec } from '#libs/service-kit/src/index.js';
import { GithubApp } from '../../../apps/scanner-service/src/github/github-app.js';
import {
  githubEnv,
  type GithubConfig,
} from '../../../apps/scanner-service/src/github/github.config.js';
import {
  WebhookProcessing1764100006000,
  WebhookProcessingModule,
  type WebhookInventory,
} from '../../../apps/scanner-service/src/webhooks/index.js';

type Call = { method: string; args: unknown[] };

/**
 * An inventory that keeps repositories in memory and records every call, standing in for the
 * scanner's InventoryService so the pipeline (consumer, dedupe, ordering, retries, dead letters)
 * is tested on its own. `failNext(n)` makes the next n calls throw, as a GitHub outage would.
 */
@Injectable()
export class RecordingInventory implements WebhookInventory {
  readonly calls: Call[] = [];
  readonly repos = new Map<string, Map<number, RepoFacts>>();
  private failures = 0;
  failAlways = false;

  failNext(n: number) {
    this.failures = n;
  }

  private record(method: string, ...args: unknown[]) {
    if (this.failAlways || this.failures > 0) {
      this.failures = Math.max(0, this.failures - 1);
      throw new Error(`GitHub answered 502 (${method})`);
    }
    this.calls.push({ method, args });
  }

  private of(workspaceId: string) {
    let map = this.repos.get(workspaceId);
    if (!map) this.repos.set(workspaceId, (map = new Map()));
    return map;
  }

  async upsertRepo(workspaceId: string, repo: RepoFacts & { protection: undefined }) {
    this.record('upsertRepo', workspaceId, repo);
    this.of(workspaceId).set(repo.githubId, { ...repo });
  }

  async removeRepo(workspaceId: string, githubId: number) {
    this.record('removeRepo', workspaceId, githubId);
    return this.of(workspaceId).delete(githubId);
  }

  async renameRepo(workspaceId: string, githubId: number, fullName: string) {
    this.record('renameRepo', workspaceId, githubId, fullName);
    const repo = this.of(workspaceId).get(githubId);
    if (repo) repo.fullName = fullName;
    return repo !== undefined;
  }

  async rescanRepo(workspaceId: string, fullName: string) {
    this.record('rescanRepo', workspaceId, fullName);
  }

  async recomputePermissions(workspaceId: string) {
    this.record('recomputePermissions', workspaceId);
  }
}

@Module({
  providers: [
    RecordingInventory,
    // The real GitHub App client: uninstalls are confirmed against GitHub (the simulator).
    {
      provide: GithubApp,
      inject: [SERVICE_CONFIG, LOGGER],
      useFactory: (config: GithubConfig, logger: Logger) => new GithubApp(config, logger),
    },
  ],
  exports: [RecordingInventory, GithubApp],
})
class RecordingInventoryModule {}

@Module({
  imports: [
    WebhookProcessingModule.forRoot({
      imports: [RecordingInventoryModule],
      inventory: RecordingInventory,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 400 },
    }),
  ],
})
class ProcessingOnlyModule {}

const env = { PORT: port(0), ...githubEnv };

/** The scanner's webhook processing alone, on the real streams and its real migration. */
export const processingScanner: ServiceSpec<typeof env> = {
  name: 'scanner-service',
  schema: 'scanner',
  migrations: [WebhookProcessing1764100006000],
  streams: [Streams.githubWebhooks, Streams.deadLetters],
  healthSubject: `${ScannerSubjects.health}.webhooks-test`,
  env,
  rootModule: () => ProcessingOnlyModule,
};
