import {
  createEnvelope,
  ProviderSubjects,
  type ProviderActCommand,
  type ProviderActResult,
  type ProviderCheckCommand,
  type ProviderCheckResult,
  type ProviderPullsCheckCommand,
  type ProviderPullsCheckResult,
  type Reply,
} from '#libs/contracts/src/index.js';
import { BusRequestError, type Bus } from '#libs/messaging/src/index.js';

export const PROVIDER_CLIENT = Symbol('PROVIDER_CLIENT');

/**
 * The engine's provider calls: bus requests to the integration service, which holds the
 * credentials. No answer in time is a failed reply like any other provider failure.
 */
export class ProviderClient {
  /** Calls made to providers on the engine's behalf, as the integration service reported them. */
  providerCalls = 0;

  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
  ) {}

  check(workspaceId: string, correlationId: string, command: ProviderCheckCommand) {
    return this.request<ProviderCheckResult>(
      ProviderSubjects.check,
      workspaceId,
      correlationId,
      command,
    );
  }

  checkPulls(workspaceId: string, correlationId: string, command: ProviderPullsCheckCommand) {
    return this.request<ProviderPullsCheckResult>(
      ProviderSubjects.checkPulls,
      workspaceId,
      correlationId,
      command,
    );
  }

  act(workspaceId: string, correlationId: string, command: ProviderActCommand) {
    return this.request<ProviderActResult>(
      ProviderSubjects.act,
      workspaceId,
      correlationId,
      command,
    );
  }

  private async request<T extends { providerCalls: number }>(
    subject: string,
    workspaceId: string,
    correlationId: string,
    data: unknown,
  ): Promise<Reply<T>> {
    const envelope = createEnvelope({
      type: subject,
      data,
      workspaceId,
      correlationId,
      actor: 'rules-engine',
    });
    try {
      const reply = await this.bus.request<T>(subject, envelope, this.timeoutMs);
      if (reply.ok) this.providerCalls += reply.value.providerCalls;
      return reply;
    } catch (error) {
      if (!(error instanceof BusRequestError)) throw error;
      if (error.reason === 'handler_failed' || error.reason === 'malformed') {
        return {
          ok: false,
          error: {
            kind: 'internal',
            code: 'internal',
            message: `the service behind ${subject} failed`,
          },
        };
      }
      return {
        ok: false,
        error: {
          kind: 'unavailable',
          code: 'bus_unavailable',
          message: `the integration service did not answer (${error.reason})`,
        },
      };
    }
  }
}
