import { execFileSync, spawnSync } from 'node:child_process';
import { client, createTeam, type Team } from '../../support/gateway-api.js';
import type { Stack } from '../../support/stack.js';

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

/** One sample of a text exposition: its name, its labels and its value. */
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a text exposition (comments and blank lines left out). */
export function seriesOf(body: string): Series[] {
  const out: Series[] = [];
  for (const line of body.split('\n')) {
    const found = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!found) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (found[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = value!.replace(/\\(["\\])/g, '$1').replace(/\\n/g, '\n');
    out.push({ name: found[1]!, labels, value: Number(found[3]) });
  }
  return out;
}

/**
 * Labels documented as ids, each bounded by what one deployment holds (see their families in
 * libs/observability/src/metrics): GitHub's installation, one per connected organization, and a
 * policy whose breaker is open now.
 */
export const ID_LABELS = [
  'github_rate_limit_remaining.installation',
  'policy_circuit_breaker_state.policy',
];

/**
 * Label values that name one thing rather than a kind of thing, as `family{label="value"}`: a UUID
 * (workspace, member, rule, run or delivery ids), a long hex string (a commit sha, a trace id), a
 * number of four digits or more (a repository, organization or installation id), or one of `known`
 * (the ids and names the test's own traffic carried, matched as whole words). Bucket bounds (`le`,
 * `quantile`) are numbers by design; the labels in `ID_LABELS` are ids by design.
 */
export function unboundedLabels(body: string, known: (string | number)[] = []): string[] {
  const names = new Set(known.map(String).filter((k) => k.length > 0));
  const found = new Set<string>();
  for (const { name, labels } of seriesOf(body)) {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    for (const [label, value] of Object.entries(labels)) {
      if (label === 'le' || label === 'quantile') continue;
      if (ID_LABELS.includes(`${family}.${label}`) || ID_LABELS.includes(`${name}.${label}`))
        continue;
      const words = value.split(/[^\w.-]+/).filter(Boolean);
      const unbounded =
        /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(value) ||
        /[0-9a-f]{16,}/i.test(value) ||
        words.some((w) => /^\d{4,}$/.test(w) || names.has(w)) ||
        names.has(value);
      if (unbounded) found.add(`${name}{${label}="${value}"}`);
    }
  }
  return [...found];
}
