import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type pg from 'pg';
import {
  fail,
  findProvider,
  integrationStreamId,
  IntegrationSubjects,
  ok,
  type DeleteIntegrationResult,
  type DisconnectIntegrationResult,
  type Failure,
  type HistoryEntry,
  type IntegrationView,
  type Reply,
} from '#libs/contracts/src/index.js';
import {
  CommandHandler,
  EventStore,
  type Sql,
  type StoredEvent,
  type UnitOfWork,
} from '#libs/event-store/src/index.js';
import { CredentialVault } from '../credentials/credential-vault.js';
import { currentCredentials } from '../credentials/current-credentials.js';
import { disableDependentRules } from '../rules/disable-dependent-rules.js';
import { rules } from '../rules/rule.decider.js';
import {
  dependentRules,
  integrationByProvider,
  integrationForUpdate,
  orphanedTargets,
  readIntegrationView,
} from '../write-side/repositories.js';
import { PG_POOL } from '../write-side/write-side.module.js';
import {
  GITHUB_INSTALLATIONS,
  type GithubConnectConfig,
  type GithubInstallations,
} from '../github-installations/github-installations.js';
import { integrations } from './integration.decider.js';
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
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import { OUTBOUND_GUARD, refuseForbiddenUrls } from '../outbound/url-fields.js';

const notFound = (id: string) =>
  fail('not_found', 'integration_not_found', `integration ${id} does not exist`);

const visible = (state: IntegrationState, uow: UnitOfWork) =>
  state.exists && !state.deleted && state.workspaceId === uow.workspaceId;

/**
 * NATS in, load, decide (the decider kit writes and commits): thin on purpose, the rules live in
 * `decide`. A connect or a disconnect takes three round trips to Postgres: `BEGIN` and every
 * read in one message, the appends and state rows in one statement, `COMMIT`.
 */
@Controller()
export class IntegrationHandlers {
  constructor(
    private readonly commands: CommandHandler,
    private readonly store: EventStore,
    private readonly vault: CredentialVault,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(GITHUB_INSTALLATIONS) private readonly github: GithubInstallations,
    @Inject(OUTBOUND_GUARD) private readonly outbound: OutboundGuard,
  ) {}

  @MessagePattern(IntegrationSubjects.connect)
  connect(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.commands.run(message, 'integrations.connect', async (uow, data) => {
      const parsed = parseConnect(data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId } = parsed.value;
      const forbidden = await refuseForbiddenUrls(this.outbound, provider, {
        ...parsed.value.config,
        ...parsed.value.credentials,
      });
      if (forbidden) return forbidden;
      const [state] = integrationId
        ? [await uow.load(integrations, integrationId)]
        : await ofProvider(uow, provider.name, false);
      if (integrationId && !visible(state, uow)) return notFound(integrationId);
      if (state.exists && state.provider !== provider.name) {
        return fail(
          'validation',
          'provider_mismatch',
          `integration ${state.id} is a ${state.provider} integration`,
        );
      }
      const decided = await uow.decide(integrations, state, { kind: 'connect', ...parsed.value });
      if (!decided.ok) return decided;
      const refused = await this.admitGithub(uow, provider.name, state.id, parsed.value.config);
      return refused ?? ok(toIntegrationView(decided.state));
    });
  }

  @MessagePattern(IntegrationSubjects.disconnect)
  disconnect(@Payload() message: unknown): Promise<Reply<DisconnectIntegrationResult>> {
    return this.commands.run(message, 'integrations.disconnect', async (uow, data) => {
      const parsed = parseDisconnect(data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId, reason } = parsed.value;
      // The integration's row is locked first; the rules are read after it, so a rule enabled
      // meanwhile is either seen here or waits and finds the provider disconnected.
      const dependents = uow.loadWhere(
        rules,
        dependentRules(uow.workspaceId, provider.name, integrationId ?? null),
      );
      const [state, found] = integrationId
        ? await loadOne(uow, integrationForUpdate(integrationId), dependents)
        : await ofProvider(uow, provider.name, true, dependents);
      if (integrationId && (!visible(state, uow) || state.provider !== provider.name)) {
        return notFound(integrationId);
      }
      const decided = await uow.decide(integrations, state, { kind: 'disconnect', reason });
      if (!decided.ok) return decided;
      uow.also(this.github.release(uow.workspaceId, state.id));
      const disabledRuleIds = await disableDependentRules(uow, uow.states(rules, found!), {
        provider: state.provider,
        integrationId: state.id,
        causeEventId: decided.events.at(-1)!.id,
        reason: 'integration_disconnected',
      });
      return ok({ integration: toIntegrationView(decided.state), disabledRuleIds });
    });
  }

  @MessagePattern(IntegrationSubjects.create)
  create(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.commands.run(message, 'integrations.create', async (uow, data) => {
      const parsed = parseCreate(data);
      if (!parsed.ok) return parsed;
      const forbidden = await refuseForbiddenUrls(
        this.outbound,
        parsed.value.provider,
        parsed.value.credentials ?? {},
        'credentials',
      );
      if (forbidden) return forbidden;
      // A fresh id has no stream to read; were it taken, the append would conflict and retry.
      const state = integrations.initialState(randomUUID());
      const decided = await uow.decide(integrations, state, { kind: 'create', ...parsed.value });
      if (!decided.ok) return decided;
      const { provider, config } = parsed.value;
      const refused = await this.admitGithub(uow, provider.name, state.id, config);
      return refused ?? ok(toIntegrationView(decided.state));
    });
  }

  @MessagePattern(IntegrationSubjects.update)
  update(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.commands.run(message, 'integrations.update', async (uow, data) => {
      const parsed = parseUpdate(data);
      if (!parsed.ok) return parsed;
      const { integrationId, profileName, credentials } = parsed.value;
      const state = await uow.load(integrations, integrationId);
      if (!visible(state, uow)) return notFound(integrationId);
      const provider = findProvider(state.provider)!;
      let merged: Record<string, unknown> | undefined;
      if (credentials !== undefined) {
        const forbidden = await refuseForbiddenUrls(
          this.outbound,
          provider,
          credentials,
          'credentials',
        );
        if (forbidden) return forbidden;
        const current = await currentCredentials(this.store, this.vault, uow.db, state.id);
        merged = { ...current, ...credentials };
      }
      const decided = await uow.decide(integrations, state, {
        kind: 'update',
        provider,
        ...(profileName !== undefined ? { profileName } : {}),
        ...(merged !== undefined ? { credentials: merged } : {}),
      });
      return decided.ok ? ok(toIntegrationView(decided.state)) : decided;
    });
  }

  @MessagePattern(IntegrationSubjects.updateSettings)
  updateSettings(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.commands.run(message, 'integrations.update-settings', async (uow, data) => {
      const parsed = parseUpdateSettings(data);
      if (!parsed.ok) return parsed;
      const state = await uow.load(integrations, parsed.value.integrationId);
      if (!visible(state, uow)) return notFound(parsed.value.integrationId);
      const decided = await uow.decide(integrations, state, {
        kind: 'updateSettings',
        settings: parsed.value.settings,
        provider: findProvider(state.provider)!,
      });
      return decided.ok ? ok(toIntegrationView(decided.state)) : decided;
    });
  }

  @MessagePattern(IntegrationSubjects.delete)
  delete(@Payload() message: unknown): Promise<Reply<DeleteIntegrationResult>> {
    return this.commands.run(message, 'integrations.delete', async (uow, data) => {
      const parsed = parseIntegrationId(data);
      if (!parsed.ok) return parsed;
      const { integrationId } = parsed.value;
      const [state] = await loadOne(uow, integrationForUpdate(integrationId));
      if (!visible(state, uow)) return notFound(integrationId);
      const [orphaned, found] = await uow.read(
        orphanedTargets(uow.workspaceId, state.provider, state.id),
        uow.loadWhere(rules, dependentRules(uow.workspaceId, state.provider, state.id)),
      );
      const decided = await uow.decide(integrations, state, {
        kind: 'delete',
        orphanedTargets: (orphaned!.rows[0] as { n: number }).n,
      });
      if (!decided.ok) return decided;
      await this.vault.shred(uow.db, state.id);
      uow.also(this.github.release(uow.workspaceId, state.id));
      const disabledRuleIds = await disableDependentRules(uow, uow.states(rules, found!), {
        provider: state.provider,
        integrationId: state.id,
        causeEventId: decided.events.at(-1)!.id,
        reason: 'integration_deleted',
      });
      return ok({
        integrationId: state.id,
        provider: state.provider,
        orphanedTargets: (orphaned!.rows[0] as { n: number }).n,
        disabledRuleIds,
      });
    });
  }

  @MessagePattern(IntegrationSubjects.get)
  get(@Payload() message: unknown): Promise<Reply<IntegrationView>> {
    return this.commands.query(message, async (envelope) => {
      const parsed = parseIntegrationId(envelope.data);
      if (!parsed.ok) return parsed;
      const view = await readIntegrationView(
        this.pool,
        envelope.workspaceId!,
        parsed.value.integrationId,
      );
      return view ? ok(view) : notFound(parsed.value.integrationId);
    });
  }

  @MessagePattern(IntegrationSubjects.list)
  list(@Payload() message: unknown): Promise<Reply<IntegrationView[]>> {
    return this.commands.query(message, async (envelope) => {
      const parsed = parseList(envelope.data);
      if (!parsed.ok) return parsed;
      const { rows } = await this.pool.query<{ view: IntegrationView }>(
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
    return this.commands.query(message, async (envelope) => {
      const parsed = parseIntegrationId(envelope.data);
      if (!parsed.ok) return parsed;
      const events = await this.store.readStream(integrationStreamId(parsed.value.integrationId));
      if (events.length === 0 || events[0]!.metadata.workspaceId !== envelope.workspaceId) {
        return notFound(parsed.value.integrationId);
      }
      return ok(events.map(toHistoryEntry));
    });
  }

  /** GitHub connects name an installation that must belong to this workspace alone. */
  private async admitGithub(
    uow: UnitOfWork,
    provider: string,
    integrationId: string,
    config: Record<string, unknown>,
  ): Promise<Failure | undefined> {
    if (provider !== 'github') return undefined;
    const github = config as unknown as GithubConnectConfig;
    const refused = await this.github.check(uow.db, uow.workspaceId, github);
    if (refused) return refused;
    const { statement, refusal } = this.github.hold(
      uow.workspaceId,
      integrationId,
      github.installationId,
    );
    uow.guard(statement, refusal);
    return undefined;
  }
}

/** The integration a selector names, and the results of `also`, in one round trip. */
async function loadOne(uow: UnitOfWork, selector: Sql, ...also: Sql[]) {
  const [found, ...rest] = await uow.read(uow.loadWhere(integrations, selector), ...also);
  return [uow.states(integrations, found!)[0]!, ...rest] as const;
}

/**
 * The workspace's integration of `provider` (see `integrationByProvider`), and the results of
 * `also`, read with it. Name-based ids of integrations deleted before are skipped.
 */
async function ofProvider(uow: UnitOfWork, provider: string, lock: boolean, ...also: Sql[]) {
  for (let generation = 0; ; generation++) {
    const [state, ...rest] = await loadOne(
      uow,
      integrationByProvider(uow.workspaceId, provider, lock, generation),
      ...(generation === 0 ? also : []),
    );
    if (!state.deleted || generation > 1000) return [state, ...rest] as const;
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
