import { Module } from '@nestjs/common';
import { GatewaySubjects, Streams } from '#libs/contracts/src/index.js';
import { port } from '#libs/config/src/index.js';
import type { ServiceSpec } from '#libs/service-kit/src/index.js';
import {
  GithubInstallations1764000006000,
  GithubWebhookBodies1764000013700,
  WebhooksModule,
  webhookEnv,
} from '../../../apps/api-gateway/src/webhooks/index.js';
import { Projections1764000001000 } from '../../../apps/api-gateway/src/migrations/1764000001000-projections.js';

const env = { PORT: port(0), ...webhookEnv };

@Module({ imports: [WebhooksModule] })
class IntakeOnlyModule {}

/** The gateway's webhook intake alone (its own feature module, real migrations and streams). */
export const intakeGateway: ServiceSpec<typeof env> = {
  name: 'api-gateway',
  schema: 'gateway',
  // Projections: the checkpoint table the installation map's projection records its place in.
  migrations: [
    Projections1764000001000,
    GithubInstallations1764000006000,
    GithubWebhookBodies1764000013700,
  ],
  streams: [Streams.integrationEvents, Streams.githubWebhooks],
  healthSubject: `${GatewaySubjects.health}.webhooks-test`,
  env,
  rootModule: () => IntakeOnlyModule,
};
