import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  fail,
  findProvider,
  IntegrationSubjects,
  ok,
  type IntegrationHealthResult,
  type Reply,
} from '#libs/contracts/src/index.js';
import { currentCredentials } from '../credentials/current-credentials.js';
import { parseHealth, unknownProvider } from '../integrations/parse-commands.js';
import { connectedIntegrationOf, readIntegrationView } from '../write-side/repositories.js';
import { CommandHandler, EventStore } from '#libs/event-store/src/index.js';
import type pg from 'pg';
import { CredentialVault } from '../credentials/credential-vault.js';
import { PG_POOL } from '../write-side/write-side.module.js';
import { HealthCheckUnavailable, ProviderHealthChecker } from './provider-health-checker.js';

export const HEALTH_CHECKER = Symbol('HEALTH_CHECKER');

@Controller()
export class ProviderHealthHandlers {
  constructor(
    private readonly commands: CommandHandler,
    private readonly store: EventStore,
    private readonly vault: CredentialVault,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(HEALTH_CHECKER) private readonly checker: ProviderHealthChecker,
  ) {}

  @MessagePattern(IntegrationSubjects.checkHealth)
  checkHealth(@Payload() message: unknown): Promise<Reply<IntegrationHealthResult>> {
    return this.commands.query(message, async (envelope) => {
      const parsed = parseHealth(envelope.data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId } = parsed.value;
      if (!findProvider(provider)) return unknownProvider(provider);
      const integration = integrationId
        ? await readIntegrationView(this.pool, envelope.workspaceId!, integrationId)
        : await connectedIntegrationOf(this.pool, envelope.workspaceId!, provider);
      if (!integration || integration.provider !== provider || integration.status !== 'connected') {
        return fail('not_found', 'not_connected', `${provider} is not connected`);
      }
      const credentials = await currentCredentials(
        this.store,
        this.vault,
        this.pool,
        integration.id,
      );
      try {
        return ok(await this.checker.check(integration, credentials));
      } catch (error) {
        if (error instanceof HealthCheckUnavailable) {
          return fail('unavailable', 'health_check_unavailable', error.message);
        }
        throw error;
      }
    });
  }
}
