import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort, waitFor } from '#libs/testing/src/index.js';
import { client, type Team } from '../support/gateway-api.js';
import { startStack, type Stack } from '../support/stack.js';
import { prometheusBinary, someTraffic } from './support/metrics.js';

interface QueryResult {
  status: string;
  error?: string;
  data?: {
    resultType: string;
    result: { metric: Record<string, string>; value: [number, string] }[];
  };
}

/**
 * A real Prometheus (Debian's package) scrapes the running services every second, and the test
 * asks it, through its HTTP query API, what ops would ask.
 */
describe('Prometheus scraping the services', () => {
  let stack: Stack;
  let team: Team;
  let prometheus: ChildProcess;
  let prometheusUrl: string;
  let dir: string;

  /** The gateway, the integration service, the scanner and the rules engine. */
  const services = () => [stack.gateway, stack.integration, stack.scanner, stack.rulesEngine!];

  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryResult;
  };

  beforeAll(async () => {
    stack = await startStack({}, { rulesEngine: true });
    team = await someTraffic(stack);
    dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    const targets = services().map((s) => new URL(s.url).host);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: integrations-platform',
        `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
      ].join('\n'),
    );
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      prometheusBinary(),
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'Prometheus to be ready',
    });
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('given four services, the rules engine among them, when Prometheus scrapes them, then every target is up', async () => {
    const up = await waitFor(
      async () => {
        const result = (await query('up{job="integrations-platform"}')).data?.result ?? [];
        return result.length === 4 && result.every((r) => r.value[1] === '1') ? result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'four targets up' },
    );
    expect(up.map((r) => r.metric.instance).sort()).toEqual(
      services()
        .map((s) => new URL(s.url).host)
        .sort(),
    );
  }, 60_000);

  test("given the rules engine as a target, then Prometheus has its readiness and its rules families' metadata from its scrape", async () => {
    const engine = new URL(stack.rulesEngine!.url).host;
    const ready = await waitFor(
      async () => {
        const result = (
          await query(`service_readiness_check{service="rules-engine",instance="${engine}"}`)
        ).data?.result;
        return result && result.length > 0 ? result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the rules engine's readiness in Prometheus" },
    );
    expect(ready.every((r) => r.value[1] === '1')).toBe(true);
    const response = await fetch(
      `${prometheusUrl}/api/v1/targets/metadata?match_target=${encodeURIComponent(`{instance="${engine}"}`)}`,
    );
    const { data } = (await response.json()) as { data: { metric: string; type: string }[] };
    expect(Object.fromEntries(data.map((m) => [m.metric, m.type]))).toMatchObject({
      rule_runs_total: 'counter',
      rule_actions_total: 'counter',
      policy_circuit_breaker_state: 'gauge',
    });
  }, 60_000);

  test('given list requests between scrapes, then a rate over the request histogram returns data', async () => {
    const call = client(stack.gateway.url);
    const rate = await waitFor(
      async () => {
        for (let i = 0; i < 5; i++) await call('GET', '/api/integrations', { token: team.viewer });
        const result = await query(
          'sum by (route) (rate(http_request_duration_seconds_count{route="/api/integrations"}[10s]))',
        );
        const value = Number(result.data?.result[0]?.value[1] ?? 0);
        return value > 0 ? value : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'a non-zero request rate' },
    );
    expect(rate).toBeGreaterThan(0);
  }, 60_000);

  test('every expression of the alert rules and the dashboard is valid PromQL to this Prometheus', async () => {
    const alerts = parse(readFileSync('ops/prometheus/alerts.yml', 'utf8')).groups.flatMap(
      (g: any) => g.rules.map((r: any) => r.expr as string),
    );
    const dashboard = JSON.parse(
      readFileSync('ops/grafana/dashboards/integrations-platform.json', 'utf8'),
    );
    const panels = dashboard.panels.flatMap((p: any) =>
      (p.targets ?? []).map((t: any) => t.expr as string),
    );
    for (const expr of [...alerts, ...panels]) {
      const result = await query(expr);
      expect({ expr, status: result.status, error: result.error }).toEqual({
        expr,
        status: 'success',
        error: undefined,
      });
    }
  });
});
