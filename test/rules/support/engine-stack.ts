import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { rulesEngine } from '../../../apps/rules-engine/src/service.js';
import { client, createTeam, type Team } from '../../support/gateway-api.js';
import { startStack, type Stack } from '../../support/stack.js';
import { untilInstallationMapped } from '../../webhooks/support/deliveries.js';
import { startSimulators, type Simulators } from './simulators.js';

export const WEBHOOK_SECRET = 'rules-webhook-secret';
export const BOT_TOKEN = 'xoxb-4242-rules-engine';

export interface EngineStack {
  sims: Simulators;
  stack: Stack;
  /** The engine started in this process (more can be started with `startEngine`). */
  engine: RunningService | undefined;
  team: Team;
  api: ReturnType<typeof client>;
  /** What an engine needs: the stack's bus and database, the simulators, the gateway's URL. */
  engineEnv: Record<string, string>;
  startEngine(extra?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

/**
 * The three services and a rules engine against fresh NATS and Postgres, GitHub and Slack played
 * by their simulators, the GitHub simulator's webhooks signed and sent to the gateway, and one
 * workspace with GitHub and Slack connected.
 */
export async function startEngineStack(
  engineExtra: Record<string, string> = {},
  options: { engine?: boolean } = {},
): Promise<EngineStack> {
  const sims = await startSimulators();
  // Each service as its own bus user, as `npm start` and compose run them.
  const stack = await startStack(
    { ...sims.env, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET },
    { busUsers: true },
  );
  sims.github.setWebhookTarget(`${stack.gateway.url}/api/webhooks/github`, WEBHOOK_SECRET);
  const engineEnv = {
    ...stack.env,
    ...stack.nats.credentials('rules-engine'),
    RULES_PUBLIC_URL: stack.gateway.url,
    ...engineExtra,
  };
  const engines: RunningService[] = [];
  const startEngine = async (extra: Record<string, string> = {}) => {
    const engine = await startService(rulesEngine as any, { ...engineEnv, ...extra });
    engines.push(engine);
    return engine;
  };
  const engine = options.engine === false ? undefined : await startEngine();
  const team = await createTeam(stack, 'rules');
  const api = client(stack.gateway.url);
  const github = await api('POST', '/api/integrations/github/connect', {
    token: team.owner,
    body: {
      installationId: String(sims.github.installationId),
      accountLogin: sims.github.org.login,
    },
  });
  if (github.status !== 201) throw new Error(`GitHub connect: ${JSON.stringify(github.body)}`);
  const slack = await api('POST', '/api/integrations/slack/connect', {
    token: team.owner,
    body: { botToken: BOT_TOKEN },
  });
  if (slack.status !== 201) throw new Error(`Slack connect: ${JSON.stringify(slack.body)}`);
  await untilInstallationMapped(stack.gateway.url, WEBHOOK_SECRET, sims.github.installationId);
  return {
    sims,
    stack,
    engine,
    team,
    api,
    engineEnv,
    startEngine,
    async close() {
      for (const e of engines) await e.close().catch(() => undefined);
      await stack.close();
      await sims.close();
    },
  };
}
