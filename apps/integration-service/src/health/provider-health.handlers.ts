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
import { WRITE_SIDE, type WriteSide } from '../write-side/write-side.js';
import { HealthCheckUnavailable, ProviderHealthChecker } from './provider-health-checker.js';

export const HEALTH_CHECKER = Symbol('HEALTH_CHECKER');

@Controller()
export class ProviderHealthHandlers {
  constructor(
    @Inject(WRITE_SIDE) private readonly w: WriteSide,
    @Inject(HEALTH_CHECKER) private readonly checker: ProviderHealthChecker,
  ) {}

  @MessagePattern(IntegrationSubjects.checkHealth)
  checkHealth(@Payload() message: unknown): Promise<Reply<IntegrationHealthResult>> {
    return this.w.runner.query(message, async (envelope) => {
      const parsed = parseHealth(envelope.data);
      if (!parsed.ok) return parsed;
      const { provider, integrationId } = parsed.value;
      if (!findProvider(provider)) return unknownProvider(provider);
      const integration = integrationId
        ? await readIntegrationView(this.w.pool, envelope.workspaceId!, integrationId)
        : await connectedIntegrationOf(this.w.pool, envelope.workspaceId!, provider);
      if (!integration || integration.provider !== provider || integration.status !== 'connected') {
        return fail('not_found', 'not_connected', `${provider} is not connected`);
      }
      const credentials = await currentCredentials(
        this.w.store,
        this.w.vault,
        this.w.pool,
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
