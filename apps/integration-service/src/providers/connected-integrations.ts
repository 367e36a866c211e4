import pg from 'pg';
import type { Logger } from 'pino';
import type { IntegrationView } from '#libs/contracts/src/index.js';
import type { Queryable } from '#libs/event-store/src/index.js';
import { connectedIntegrationOf } from '../write-side/repositories.js';

/** The channel `integration.integrations`' trigger notifies, with the workspace id as payload. */
export const INTEGRATION_CHANGES = 'integration_changes';

/** Workspaces remembered at most; past it the ones remembered longest ago go first. */
const MAX_WORKSPACES = 10_000;
/** Belt and braces: an entry is asked again after this long even if nothing was notified. */
const TTL_MS = 60_000;

interface Entry {
  integration: IntegrationView | undefined;
  at: number;
}

/**
 * The workspace's connected integration of a provider, for the reads that come with every rule
 * evaluation (a check): remembered, and forgotten when Postgres says that the workspace's
 * integrations changed. A trigger on `integration.integrations` notifies INTEGRATION_CHANGES
 * on commit, whoever wrote the row (any replica, a purge); this replica listens on a session of
 * its own. While that session is not listening, every lookup asks Postgres, and what was
 * remembered is dropped, since notifications sent meanwhile are lost.
 *
 * An answer read while a notification arrived is not kept (`generation`), so a lookup that
 * raced a change never outlives it. Provider writes (`act`) do not use this: they read the
 * integration fresh, so that a disconnect stops a run in flight.
 */
export class ConnectedIntegrations {
  private readonly byWorkspace = new Map<string, Map<string, Entry>>();
  private generation = 0;
  private listener: pg.Client | undefined;
  private listening = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Queryable,
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly retryMs = 1_000,
  ) {}

  /** Starts listening; lookups ask Postgres until the session listens. */
  start(): void {
    this.stopped = false;
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.forgetAll();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Whether lookups may be answered from memory now. */
  get isListening(): boolean {
    return this.listening;
  }

  async lookup(workspaceId: string, provider: string): Promise<IntegrationView | undefined> {
    if (!this.listening) return connectedIntegrationOf(this.pool, workspaceId, provider);
    const known = this.byWorkspace.get(workspaceId)?.get(provider);
    if (known && Date.now() - known.at < TTL_MS) return known.integration;
    const generation = this.generation;
    const integration = await connectedIntegrationOf(this.pool, workspaceId, provider);
    if (this.listening && generation === this.generation) {
      this.remember(workspaceId, provider, { integration, at: Date.now() });
    }
    return integration;
  }

  private remember(workspaceId: string, provider: string, entry: Entry): void {
    let providers = this.byWorkspace.get(workspaceId);
    if (!providers) {
      if (this.byWorkspace.size >= MAX_WORKSPACES) {
        this.byWorkspace.delete(this.byWorkspace.keys().next().value!);
      }
      providers = new Map();
      this.byWorkspace.set(workspaceId, providers);
    }
    providers.set(provider, entry);
  }

  private forget(workspaceId: string): void {
    this.generation++;
    this.byWorkspace.delete(workspaceId);
  }

  private forgetAll(): void {
    this.generation++;
    this.listening = false;
    this.byWorkspace.clear();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'integration-service:changes',
    });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.forgetAll();
      if (error && !this.stopped) {
        this.logger.warn(
          { err: error },
          'integration changes: not listening; lookups ask Postgres',
        );
      }
      void client.end().catch(() => undefined);
      if (!this.stopped) this.retry = setTimeout(() => void this.listen(), this.retryMs);
    };
    client.on('notification', (message) => {
      if (message.channel === INTEGRATION_CHANGES && message.payload) this.forget(message.payload);
    });
    client.on('error', lost);
    client.on('end', () => lost());
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${INTEGRATION_CHANGES}`);
      if (this.listener === client && !this.stopped) this.listening = true;
    } catch (error) {
      lost(error as Error);
    }
  }
}
