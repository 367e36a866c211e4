import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { fail, IntegrationSubjects, ok, type Reply } from '#libs/contracts/src/index.js';
import { CommandHandler } from '#libs/event-store/src/index.js';
import { GITHUB_INSTALLATIONS, type GithubInstallations } from './github-installations.js';

const VerifyCommand = z.strictObject({
  installationId: z.string().regex(/^\d{1,20}$/, 'expected the installation id, digits only'),
});

@Controller()
export class GithubInstallationHandlers {
  constructor(
    private readonly commands: CommandHandler,
    @Inject(GITHUB_INSTALLATIONS) private readonly installations: GithubInstallations,
  ) {}

  /** Sent by the gateway's install flow once GitHub confirmed the member's access. */
  @MessagePattern(IntegrationSubjects.verifyGithubInstallation)
  verify(@Payload() message: unknown): Promise<Reply<{ installationId: string }>> {
    return this.commands.run(
      message,
      'integrations.verify-github-installation',
      async (uow, data) => {
        const parsed = VerifyCommand.safeParse(data);
        if (!parsed.success) {
          return fail('validation', 'invalid_request', 'the request is invalid', [
            { field: 'installationId', message: 'expected the installation id, digits only' },
          ]);
        }
        const { installationId } = parsed.data;
        await this.installations.recordVerification(
          uow.db,
          uow.workspaceId,
          installationId,
          uow.command.actor ?? null,
        );
        return ok({ installationId });
      },
    );
  }
}
