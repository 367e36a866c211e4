import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { IntegrationSubjects, Streams, type Envelope } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, DATA_SOURCE, LOGGER } from '#libs/service-kit/src/index.js';
import { installationChangeOf, type InstallationOwner } from './installations.projection.js';

/**
 * Maps a GitHub App installation to the workspace that connected it. Every gateway replica reads
 * the integration events itself (an ordered consumer), so each knows every connect and
 * disconnect; the table `gateway.github_installations` keeps the map and the stream position it
 * reached, so a restart resumes there instead of replaying the whole stream.
 */
@Injectable()
export class InstallationDirectory implements OnModuleInit, OnModuleDestroy {
  private readonly byInstallation = new Map<number, InstallationOwner>();
  private readonly byIntegration = new Map<string, number>();
  private position = 0;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private caughtUp = false;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * False until the map holds every connect and disconnect that was on the bus at start: an
   * installation missing from it before then may just not be read yet.
   */
  get current(): boolean {
    return this.caughtUp;
  }

  /** The workspace (and integration) that has this installation connected now, if any. */
  ownerOf(installationId: number): InstallationOwner | undefined {
    return this.byInstallation.get(installationId);
  }

  async onModuleInit(): Promise<void> {
    const rows = await this.dataSource.query<
      {
        installation_id: string;
        workspace_id: string | null;
        integration_id: string | null;
        stream_seq: string;
      }[]
    >(
      `SELECT installation_id, workspace_id, integration_id, stream_seq FROM gateway.github_installations`,
    );
    for (const row of rows) {
      if (row.workspace_id && row.integration_id) {
        this.remember(Number(row.installation_id), {
          workspaceId: row.workspace_id,
          integrationId: row.integration_id,
        });
      }
      this.position = Math.max(this.position, Number(row.stream_seq));
    }
    const caughtUp = this.follow();
    // Start serving once the map is current, but never hang the start on a slow bus.
    await Promise.race([caughtUp, new Promise((r) => setTimeout(r, 5_000).unref())]);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.messages?.close().catch(() => undefined);
  }

  /** Resolves once every event that was on the bus when it started has been applied. */
  private async follow(): Promise<void> {
    let markCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve)).then(() => {
      this.caughtUp = true;
    });
    const consumer = await this.bus.js.consumers.get(Streams.integrationEvents.name, {
      // One subject as a string: nats-server 2.9 (Debian's) knows no `filter_subjects` list.
      filter_subjects: `${IntegrationSubjects.events}.>`,
      ...(this.position > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.position + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    this.messages = await consumer.consume();
    let received = 0;
    let applied = 0;
    void (async () => {
      for await (const msg of this.messages!) {
        received++;
        try {
          await this.apply(msg.json<Envelope>(), msg.seq);
        } catch (error) {
          this.logger.error({ err: error, seq: msg.seq }, 'installation map: event not applied');
        }
        applied++;
        if (msg.info.pending === 0) markCaughtUp();
      }
    })().catch((error: unknown) => {
      if (!this.stopped) this.logger.error({ err: error }, 'installation map stopped following');
    });
    // Nothing (more) to read: the map is current as soon as what arrived is applied. Pending
    // counts only this consumer's subjects, so later rule events do not hold it back.
    const { num_pending } = await consumer.info();
    if (num_pending === 0) {
      while (applied < received) await new Promise((r) => setTimeout(r, 5));
      markCaughtUp();
    }
    return caughtUp;
  }

  private async apply(event: Envelope, seq: number): Promise<void> {
    if (seq <= this.position) return;
    const change = installationChangeOf(event, (integrationId) =>
      this.byIntegration.get(integrationId),
    );
    if (change) {
      await this.dataSource.query(
        `INSERT INTO gateway.github_installations
           (installation_id, workspace_id, integration_id, stream_seq, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (installation_id) DO UPDATE
           SET workspace_id = EXCLUDED.workspace_id, integration_id = EXCLUDED.integration_id,
               stream_seq = EXCLUDED.stream_seq, updated_at = now()
           WHERE gateway.github_installations.stream_seq < EXCLUDED.stream_seq`,
        [
          change.installationId,
          change.owner?.workspaceId ?? null,
          change.owner?.integrationId ?? null,
          seq,
        ],
      );
      if (change.owner === null) this.forget(change.installationId);
      else this.remember(change.installationId, change.owner);
    }
    this.position = seq;
  }

  private remember(installationId: number, owner: InstallationOwner): void {
    this.forget(installationId);
    // An integration reconnected with another installation no longer owns its old one.
    const previous = this.byIntegration.get(owner.integrationId);
    if (previous !== undefined) this.byInstallation.delete(previous);
    this.byInstallation.set(installationId, owner);
    this.byIntegration.set(owner.integrationId, installationId);
  }

  private forget(installationId: number): void {
    const owner = this.byInstallation.get(installationId);
    if (owner !== undefined) this.byIntegration.delete(owner.integrationId);
    this.byInstallation.delete(installationId);
  }
}
