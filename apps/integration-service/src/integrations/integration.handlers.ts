import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  fail,
  integrationStreamId,
  IntegrationSubjects,
  ok,
  type DeleteIntegrationResult,
  type DisconnectIntegrationResult,
  type HistoryEntry,
  type IntegrationView,
  type Reply,
} from '#libs/contracts/src/index.js';
import type { StoredEvent } from '#libs/event-store/src/index.js';
import { currentCredentials } from '../credentials/current-credentials.js';
import { disableDependentRules, providerStillConnected } from '../rules/disable-dependent-rules.js';
import {
  integrationForProvider,
  loadIntegration,
  readIntegrationView,
  saveIntegration,
} from '../write-side/repositories.js';
import type { UnitOfWork } from '../write-side/unit-of-work.js';
import { WRITE_SIDE, type WriteSide } from '../write-side/write-side.js';
import { decideIntegration, type PendingEvent } from './decide.js';
import { evolveIntegration } from './evolve.js';
import { toIntegrationView, type IntegrationState } from './integration.state.js';
import {
  parseConnect,
  parseCreate,
  parseDisconnect,
  parseIntegrationId,
  parseList,
  parseUpdate,
  parseUpdateSettings,
} from './parse-commands.js';
import { findProvider } from '#libs/contracts/src/index.js';
import { randomUUID } from 'node:crypto';
import {
  GITHUB_INSTALLATIONS,
  type GithubConnectConfig,
  type GithubInstallations,
} from '../github-installations/github-installations.js';

const notFound = (id: string) =>
  fail('not_found', 'integration_not_found', `integration ${id} does not exist`);

/** NATS in, load the stream, decide, append: thin on purpose, the rules live in `decide`. */
@Controller()
export class IntegrationHandlers {
  constructor(
    @Inject(WRITE_SIDE) private readonly w: WriteSide,
    @Inject(GITHUB_INSTALLATIONS) private readonly github: GithubInstallations,
  ) {}

  @MessagePattern(IntegrationSubjects.connect)
  connect(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.w.runner.run(message, 'integrations.connect', async (uow, data) => {
      const parsed = parseConnect(data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId } = parsed.value;
      const state = integrationId
        ? await loadIntegration(this.w.store, uow.client, integrationId)
        : await integrationForProvider(this.w.store, uow.client, uow.workspaceId, provider.name);
      if (integrationId && !this.visible(state, uow)) return notFound(integrationId);
      if (state.exists && state.provider !== provider.name) {
        return fail(
          'validation',
          'provider_mismatch',
          `integration ${state.id} is a ${state.provider} integration`,
        );
      }
      const decision = decideIntegration(state, { kind: 'connect', ...parsed.value }, uow.now);
      if (!decision.ok) return { ok: false, error: decision.error };
      const refused = await this.admitGithub(uow, provider.name, state.id, parsed.value.config);
      if (refused) return refused;
      const next = await this.append(uow, state, decision.events);
      return ok(toIntegrationView(next));
    });
  }

  @MessagePattern(IntegrationSubjects.disconnect)
  disconnect(@Payload() message: unknown): Promise<Reply<DisconnectIntegrationResult>> {
    return this.w.runner.run(message, 'integrations.disconnect', async (uow, data) => {
      const parsed = parseDisconnect(data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId, reason } = parsed.value;
      const state = integrationId
        ? await loadIntegration(this.w.store, uow.client, integrationId)
        : await integrationForProvider(this.w.store, uow.client, uow.workspaceId, provider.name);
      if (integrationId && (!this.visible(state, uow) || state.provider !== provider.name)) {
        return notFound(integrationId);
      }
      const decision = decideIntegration(state, { kind: 'disconnect', reason }, uow.now);
      if (!decision.ok) return { ok: false, error: decision.error };
      const next = await this.append(uow, state, decision.events);
      await this.github.release(uow.client, uow.workspaceId, state.id);
      const disabledRuleIds = await disableDependentRules(uow, {
        provider: state.provider,
        integrationId: state.id,
        causeEventId: uow.appended.at(-1)!.id,
        reason: 'integration_disconnected',
      });
      return ok({ integration: toIntegrationView(next), disabledRuleIds });
    });
  }

  @MessagePattern(IntegrationSubjects.create)
  create(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.w.runner.run(message, 'integrations.create', async (uow, data) => {
      const parsed = parseCreate(data);
      if (!parsed.ok) return parsed;
      const state = await loadIntegration(this.w.store, uow.client, randomUUID());
      const decision = decideIntegration(state, { kind: 'create', ...parsed.value }, uow.now);
      if (!decision.ok) return { ok: false, error: decision.error };
      const refused = await this.admitGithub(
        uow,
        parsed.value.provider.name,
        state.id,
        parsed.value.config,
      );
      if (refused) return refused;
      return ok(toIntegrationView(await this.append(uow, state, decision.events)));
    });
  }

  @MessagePattern(IntegrationSubjects.update)
  update(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.w.runner.run(message, 'integrations.update', async (uow, data) => {
      const parsed = parseUpdate(data);
      if (!parsed.ok) return parsed;
      const { integrationId, profileName, credentials } = parsed.value;
      const state = await loadIntegration(this.w.store, uow.client, integrationId);
      if (!this.visible(state, uow)) return notFound(integrationId);
      const provider = findProvider(state.provider)!;
      let merged: Record<string, unknown> | undefined;
      if (credentials !== undefined) {
        const current = await currentCredentials(this.w.store, this.w.vault, uow.client, state.id);
        merged = { ...current, ...credentials };
      }
      const decision = decideIntegration(
        state,
        {
          kind: 'update',
          provider,
          ...(profileName !== undefined ? { profileName } : {}),
          ...(merged !== undefined ? { credentials: merged } : {}),
        },
        uow.now,
      );
      if (!decision.ok) return { ok: false, error: decision.error };
      return ok(toIntegrationView(await this.append(uow, state, decision.events)));
    });
  }

  @MessagePattern(IntegrationSubjects.updateSettings)
  updateSettings(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.w.runner.run(message, 'integrations.update-settings', async (uow, data) => {
      const parsed = parseUpdateSettings(data);
      if (!parsed.ok) return parsed;
      const state = await loadIntegration(this.w.store, uow.client, parsed.value.integrationId);
      if (!this.visible(state, uow)) return notFound(parsed.value.integrationId);
      const decision = decideIntegration(
        state,
        {
          kind: 'updateSettings',
          settings: parsed.value.settings,
          provider: findProvider(state.provider)!,
        },
        uow.now,
      );
      if (!decision.ok) return { ok: false, error: decision.error };
      return ok(toIntegrationView(await this.append(uow, state, decision.events)));
    });
  }

  @MessagePattern(IntegrationSubjects.delete)
  delete(@Payload() message: unknown): Promise<Reply<DeleteIntegrationResult>> {
    return this.w.runner.run(message, 'integrations.delete', async (uow, data) => {
      const parsed = parseIntegrationId(data);
      if (!parsed.ok) return parsed;
      const { integrationId } = parsed.value;
      const state = await loadIntegration(this.w.store, uow.client, integrationId);
      if (!this.visible(state, uow)) return notFound(integrationId);
      const orphanedTargets = (await providerStillConnected(
        uow.client,
        uow.workspaceId,
        state.provider,
        state.id,
      ))
        ? 0
        : await this.rulesNaming(uow, state.provider);
      const decision = decideIntegration(state, { kind: 'delete', orphanedTargets }, uow.now);
      if (!decision.ok) return { ok: false, error: decision.error };
      await this.append(uow, state, decision.events);
      await this.w.vault.shred(uow.client, state.id);
      await this.github.release(uow.client, uow.workspaceId, state.id);
      const disabledRuleIds = await disableDependentRules(uow, {
        provider: state.provider,
        integrationId: state.id,
        causeEventId: uow.appended.at(-1)!.id,
        reason: 'integration_deleted',
      });
      return ok({
        integrationId: state.id,
        provider: state.provider,
        orphanedTargets,
        disabledRuleIds,
      });
    });
  }

  @MessagePattern(IntegrationSubjects.get)
  get(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.w.runner.query(message, async (envelope) => {
      const parsed = parseIntegrationId(envelope.data);
      if (!parsed.ok) return parsed;
      const view = await readIntegrationView(
        this.w.pool,
        envelope.workspaceId!,
        parsed.value.integrationId,
      );
      return view ? ok(view) : notFound(parsed.value.integrationId);
    });
  }

  @MessagePattern(IntegrationSubjects.list)
  list(@Payload() message: unknown): Promise<Reply<IntegrationView[]>> {
    return this.w.runner.query(message, async (envelope) => {
      const parsed = parseList(envelope.data);
      if (!parsed.ok) return parsed;
      const { rows } = await this.w.pool.query<{ view: IntegrationView }>(
        `SELECT view FROM integration.integrations
         WHERE workspace_id = $1 AND ($2::text IS NULL OR provider = $2)
           AND ($3::text IS NULL OR status = $3)
         ORDER BY created_at, id`,
        [envelope.workspaceId, parsed.value.provider ?? null, parsed.value.status ?? null],
      );
      return ok(rows.map((r) => r.view));
    });
  }

  @MessagePattern(IntegrationSubjects.history)
  history(@Payload() message: unknown): Promise<Reply<HistoryEntry[]>> {
    return this.w.runner.query(message, async (envelope) => {
      const parsed = parseIntegrationId(envelope.data);
      if (!parsed.ok) return parsed;
      const events = await this.w.store.readStream(integrationStreamId(parsed.value.integrationId));
      if (events.length === 0 || events[0]!.metadata.workspaceId !== envelope.workspaceId) {
        return notFound(parsed.value.integrationId);
      }
      return ok(events.map(toHistoryEntry));
    });
  }

  /** GitHub connects name an installation that must belong to this workspace alone. */
  private admitGithub(
    uow: UnitOfWork,
    provider: string,
    integrationId: string,
    config: Record<string, unknown>,
  ): Promise<Reply<never> | undefined> {
    if (provider !== 'github') return Promise.resolve(undefined);
    return this.github.admit(
      uow.client,
      uow.workspaceId,
      integrationId,
      config as unknown as GithubConnectConfig,
    );
  }

  private visible(state: IntegrationState, uow: UnitOfWork): boolean {
    return state.exists && !state.deleted && state.workspaceId === uow.workspaceId;
  }

  /** Appends, sealing any credentials with the integration's data key, and updates its row. */
  private async append(uow: UnitOfWork, state: IntegrationState, events: PendingEvent[]) {
    if (events.length === 0) return state;
    const toAppend = [];
    for (const { credentials, ...event } of events) {
      toAppend.push(
        credentials
          ? { ...event, sealed: await this.w.vault.seal(uow.client, state.id, credentials) }
          : event,
      );
    }
    const stored = await uow.append(integrationStreamId(state.id), state.version, toAppend);
    const next = stored.reduce(evolveIntegration, state);
    await saveIntegration(uow.client, next);
    return next;
  }

  private async rulesNaming(uow: UnitOfWork, provider: string): Promise<number> {
    const { rows } = await uow.client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM integration.rules WHERE workspace_id = $1 AND $2 = ANY(providers)',
      [uow.workspaceId, provider],
    );
    return rows[0]!.n;
  }
}

export function toHistoryEntry(event: StoredEvent): HistoryEntry {
  return {
    eventId: event.id,
    type: event.type,
    position: event.position,
    streamVersion: event.streamVersion,
    occurredAt: event.occurredAt,
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    data: event.data,
  };
}
