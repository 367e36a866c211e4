import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import {
  fail,
  findAction,
  findCheck,
  findProvider,
  ok,
  ProviderSubjects,
  type Envelope,
  type IntegrationView,
  type ProviderActResult,
  type ProviderCheckResult,
  type ProviderPullsCheckResult,
  type Reply,
} from '#libs/contracts/src/index.js';
import { currentCredentials } from '../credentials/current-credentials.js';
import { fieldIssues, parse } from '../write-side/parse.js';
import { unknownProvider } from '../integrations/parse-commands.js';
import { connectedIntegrationOf } from '../write-side/repositories.js';
import { CommandHandler, EventStore } from '#libs/event-store/src/index.js';
import type pg from 'pg';
import { CredentialVault } from '../credentials/credential-vault.js';
import { PG_POOL } from '../write-side/write-side.module.js';
import { ConnectedIntegrations } from './connected-integrations.js';
import { GithubAdapter } from './github-adapter.js';
import { ProviderCallError, ProviderTargetError } from './provider-error.js';
import { SlackAdapter } from './slack-adapter.js';

export const GITHUB_ADAPTER = Symbol('GITHUB_ADAPTER');
export const SLACK_ADAPTER = Symbol('SLACK_ADAPTER');

const target = z.strictObject({
  repo: z.string().max(200).optional(),
  number: z.number().int().positive().optional(),
  ref: z.string().min(1).max(255).optional(),
  channel: z.string().min(1).max(80).optional(),
});
const CheckCommand = z.strictObject({
  provider: z.string().min(1).max(50),
  checks: z.array(z.string().min(1).max(100)).min(1).max(20),
  target: target.default({}),
});
const PullsCommand = z.strictObject({
  provider: z.literal('github'),
  repo: z.string().min(3).max(200),
  checks: z.array(z.string().min(1).max(100)).max(20),
  cursor: z.string().max(500).optional(),
  perPage: z.number().int().min(1).max(10).default(10),
});
const ActCommand = z.strictObject({
  provider: z.string().min(1).max(50),
  method: z.string().min(1).max(100),
  params: z.record(z.string(), z.unknown()).default({}),
  target: target.default({}),
  actionKey: z.string().min(1).max(300),
});
/** The engine's own methods for policies (not in the catalog: users do not write them). */
const ENGINE_PARAMS: Record<string, Record<string, z.ZodObject>> = {
  github: {
    create_status: z.strictObject({
      state: z.enum(['success', 'failure', 'pending', 'error']),
      context: z.string().min(1).max(255),
      description: z.string().max(1000),
      target_url: z.url().optional(),
    }),
    upsert_comment: z.strictObject({
      marker: z.string().min(1).max(200),
      body: z.string().min(1).max(65536),
    }),
  },
};

/**
 * `providers.cmd.check`, `providers.cmd.check-pulls` and `providers.cmd.act`: the rules engine's
 * provider calls, made here with the workspace's connected integration so that credentials never
 * leave this service. Answers carry values and references, never credentials.
 */
@Controller()
export class ProviderCallsHandlers {
  constructor(
    private readonly commands: CommandHandler,
    private readonly store: EventStore,
    private readonly vault: CredentialVault,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly connected: ConnectedIntegrations,
    @Inject(GITHUB_ADAPTER) private readonly github: GithubAdapter,
    @Inject(SLACK_ADAPTER) private readonly slack: SlackAdapter,
  ) {}

  @MessagePattern(ProviderSubjects.check)
  check(@Payload() message: unknown): Promise<Reply<ProviderCheckResult>> {
    return this.commands.query(message, async (envelope) => {
      const input = parse(CheckCommand, envelope.data);
      if (!input.ok) return input;
      const { provider, checks, target: at } = input.value;
      if (!findProvider(provider)) return unknownProvider(provider);
      const unknown = checks.filter((c) => !findCheck(provider, c));
      if (unknown.length > 0) {
        return fail(
          'validation',
          'unknown_check',
          `unknown check ${unknown.join(', ')} for ${provider}`,
        );
      }
      return this.withIntegration(envelope, provider, 'remembered', async (integration) => {
        if (provider === 'github') {
          const r = await this.github.check(installationOf(integration), checks, at);
          return ok({ provider, values: r.values, providerCalls: r.calls });
        }
        if (provider === 'slack') {
          const r = await this.slack.check(await this.botToken(integration), checks, at);
          return ok({ provider, values: r.values, providerCalls: r.calls });
        }
        return notAvailable(provider);
      });
    });
  }

  @MessagePattern(ProviderSubjects.checkPulls)
  checkPulls(@Payload() message: unknown): Promise<Reply<ProviderPullsCheckResult>> {
    return this.commands.query(message, async (envelope) => {
      const input = parse(PullsCommand, envelope.data);
      if (!input.ok) return input;
      const { repo, checks, cursor, perPage } = input.value;
      return this.withIntegration(envelope, 'github', 'remembered', async (integration) =>
        ok(
          await this.github.checkPulls(installationOf(integration), repo, checks, cursor, perPage),
        ),
      );
    });
  }

  @MessagePattern(ProviderSubjects.act)
  act(@Payload() message: unknown): Promise<Reply<ProviderActResult>> {
    return this.commands.query(message, async (envelope) => {
      const input = parse(ActCommand, envelope.data);
      if (!input.ok) return input;
      const { provider, method, target: at } = input.value;
      if (!findProvider(provider)) return unknownProvider(provider);
      const schema = findAction(provider, method)?.params ?? ENGINE_PARAMS[provider]?.[method];
      if (!schema) {
        return fail('validation', 'unknown_action', `unknown action ${method} for ${provider}`);
      }
      const params = schema.safeParse(input.value.params);
      if (!params.success) {
        return fail(
          'validation',
          'invalid_params',
          `invalid params for ${provider} ${method}`,
          fieldIssues(params.error.issues, 'params'),
        );
      }
      const values = params.data as Record<string, unknown>;
      return this.withIntegration(envelope, provider, 'fresh', async (integration) => {
        if (provider === 'github') {
          const r = await this.github.act(installationOf(integration), method, values, at);
          return ok({ provider, method, ref: r.ref, providerCalls: r.calls });
        }
        if (provider === 'slack') {
          const r = await this.slack.act(await this.botToken(integration), method, values);
          return ok({ provider, method, ref: r.ref, providerCalls: r.calls });
        }
        return notAvailable(provider);
      });
    });
  }

  /**
   * Runs `work` with the workspace's connected integration; provider failures become replies.
   * Reads may take it `remembered` (see ConnectedIntegrations); writes read it `fresh`, so that
   * an action never runs after its provider was disconnected.
   */
  private async withIntegration<T>(
    envelope: Envelope,
    provider: string,
    read: 'remembered' | 'fresh',
    work: (integration: IntegrationView) => Promise<Reply<T>>,
  ): Promise<Reply<T>> {
    const workspaceId = envelope.workspaceId!;
    const integration =
      read === 'remembered'
        ? await this.connected.lookup(workspaceId, provider)
        : await connectedIntegrationOf(this.pool, workspaceId, provider);
    if (!integration) {
      return fail('conflict', 'not_connected', `${provider} is not connected`, { provider });
    }
    try {
      return await work(integration);
    } catch (error) {
      if (error instanceof ProviderCallError) {
        return fail('unavailable', 'provider_error', error.message, { provider, ...error.detail });
      }
      if (error instanceof ProviderTargetError) {
        return fail('validation', 'invalid_target', error.message, [
          { field: error.field, message: error.message },
        ]);
      }
      throw error;
    }
  }

  private async botToken(integration: IntegrationView): Promise<string> {
    const credentials = await currentCredentials(this.store, this.vault, this.pool, integration.id);
    if (typeof credentials.botToken !== 'string') {
      throw new ProviderCallError('the Slack integration holds no bot token');
    }
    return credentials.botToken;
  }
}

function installationOf(integration: IntegrationView): number {
  return Number(integration.config.installationId);
}

function notAvailable(provider: string): Reply<never> {
  return fail('unavailable', 'provider_unsupported', `rules cannot call ${provider} yet`, {
    provider,
  });
}
