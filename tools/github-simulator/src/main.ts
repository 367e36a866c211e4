import { parseArgs } from 'node:util';
import { startGithubSimulator } from './server.js';

/**
 * `npm run github-sim -- --repos <n> --port <p> [--seed <s>] [--org <login>] [--latency-ms <ms>]
 * [--fail-rate <0..1>] [--rate-limit <n>] [--rate-limit-window-ms <ms>]
 * [--secondary-max-concurrent <n>] [--private-key-path <pem>] [--app-id <id>]
 * [--installation-id <id>] [--setup-url <url>] [--webhook-url <url> --webhook-secret <secret>]`:
 * prints one JSON line
 * `{"url","org","appId","privateKeyPath","installationId","appSlug","clientId","clientSecret"}` and serves until SIGINT/SIGTERM.
 */
const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '25' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    org: { type: 'string', default: 'acme' },
    'latency-ms': { type: 'string', default: '0' },
    'fail-rate': { type: 'string', default: '0' },
    'rate-limit': { type: 'string' },
    'graphql-rate-limit': { type: 'string' },
    'rate-limit-window-ms': { type: 'string' },
    'secondary-max-concurrent': { type: 'string' },
    'private-key-path': { type: 'string' },
    'app-id': { type: 'string' },
    'installation-id': { type: 'string' },
    'webhook-url': { type: 'string' },
    'webhook-secret': { type: 'string' },
    'setup-url': { type: 'string' },
  },
  strict: true,
});

const number = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`github-sim: --${name} must be a non-negative number, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
};

const maxConcurrent = number('secondary-max-concurrent', values['secondary-max-concurrent']);
const simulator = await startGithubSimulator({
  repos: number('repos', values.repos),
  port: number('port', values.port),
  host: values.host,
  seed: number('seed', values.seed),
  orgLogin: values.org,
  latencyMs: number('latency-ms', values['latency-ms']),
  failRate: number('fail-rate', values['fail-rate']),
  rateLimit: number('rate-limit', values['rate-limit']),
  graphqlRateLimit: number('graphql-rate-limit', values['graphql-rate-limit']),
  rateLimitWindowMs: number('rate-limit-window-ms', values['rate-limit-window-ms']),
  secondary: maxConcurrent === undefined ? undefined : { maxConcurrent },
  privateKeyPath: values['private-key-path'],
  appId: number('app-id', values['app-id']),
  installationId: number('installation-id', values['installation-id']),
  webhookUrl: values['webhook-url'],
  webhookSecret: values['webhook-secret'],
  setupUrl: values['setup-url'],
});

process.stdout.write(
  `${JSON.stringify({
    url: simulator.url,
    org: simulator.org.login,
    appId: simulator.appId,
    privateKeyPath: simulator.privateKeyPath,
    installationId: simulator.installationId,
    appSlug: simulator.appSlug,
    clientId: simulator.clientId,
    clientSecret: simulator.clientSecret,
  })}\n`,
);

const stop = () => void simulator.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
