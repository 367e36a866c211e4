import { port } from '#libs/config/src/index.js';
import { auditEnv } from './audit/audit.config.js';
import { githubInstallEnv } from './github-install/github-install.config.js';
import { limitsEnv } from './limits/limits.config.js';
import { restEnv } from './rest/rest.config.js';
import { webhookEnv } from './webhooks/webhook.config.js';

/** The gateway's environment, beside the variables every service reads: each feature's own. */
export const apiGatewayEnv = {
  PORT: port(3000),
  ...webhookEnv,
  ...restEnv,
  ...githubInstallEnv,
  ...auditEnv,
  ...limitsEnv,
};
