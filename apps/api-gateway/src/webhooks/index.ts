export { WebhooksModule } from './webhooks.module.js';
export { webhookEnv } from './webhook.config.js';
export { GithubInstallations1764000006000 } from './github-installations.migration.js';
export { IntakeCounters } from './intake-counters.js';
export { GITHUB_WEBHOOK_PATH } from './webhook-intake.route.js';
export { GithubWebhookBodies1764000013700 } from './webhook-bodies.migration.js';
