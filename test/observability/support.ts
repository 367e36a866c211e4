import { execFileSync, spawnSync } from 'node:child_process';
import { client, createTeam, type Team } from '../gateway/support.js';
import type { Stack } from '../support/stack.js';

/** Debian's prometheus package gives both; scripts/ensure-services.sh installs it. */
export function promtool(args: string[], input?: string): { code: number; output: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is missing: run scripts/ensure-services.sh`);
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export function prometheusBinary(): string {
  return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
}

export async function scrape(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`${url}/metrics`);
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

/** One sample's value from a text exposition, by name and labels that must all match. */
export function sample(body: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? total : NaN;
}

/**
 * Traffic that touches every family the gateway and the integration service show: lists (the
 * fast path), a refused key (401), a refused role (403), and a GitHub connect and disconnect.
 */
export async function someTraffic(stack: Stack): Promise<Team> {
  const team = await createTeam(stack, `obs${Math.floor(Math.random() * 1e6)}`);
  const call = client(stack.gateway.url);
  for (let i = 0; i < 5; i++) await call('GET', '/api/integrations', { token: team.viewer });
  await call('GET', '/api/integrations', { token: 'not-a-key' });
  await call('POST', '/api/integrations/github/connect', {
    token: team.viewer,
    body: { installationId: '1', accountLogin: 'acme' },
  });
  const connected = await call('POST', '/api/integrations/github/connect', {
    token: team.owner,
    body: { installationId: '4242', accountLogin: 'acme-obs' },
  });
  if (connected.status >= 300) throw new Error(`connect: ${connected.status}`);
  const gone = await call('POST', '/api/integrations/github/disconnect', {
    token: team.owner,
    body: {},
  });
  if (gone.status >= 300) throw new Error(`disconnect: ${gone.status}`);
  return team;
}
