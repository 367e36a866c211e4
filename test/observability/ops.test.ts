import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { promtool } from './support/metrics.js';

/** ops/: what the observability compose profile provisions Prometheus and Grafana with. */
describe('ops/', () => {
  test('the alert rules pass promtool check rules and cover what ops asked for', () => {
    const check = promtool(['check', 'rules', 'ops/prometheus/alerts.yml']);
    expect(check).toEqual({ code: 0, output: expect.stringContaining('SUCCESS: 8 rules found') });
    const rules = parse(readFileSync('ops/prometheus/alerts.yml', 'utf8')).groups.flatMap(
      (g: any) => g.rules.map((r: any) => r.alert),
    );
    expect(rules.sort()).toEqual(
      [
        'CircuitBreakerOpen',
        'ConsumerBacklogGrowing',
        'DeadLettersPresent',
        'EventPublisherStalled',
        'GithubRateLimitLow',
        'ProjectionLagging',
        'ServiceDown',
        'ServiceNotReady',
      ].sort(),
    );
  });

  test('given series that should raise each alert, promtool test rules sees them fire (and not on healthy ones)', () => {
    const run = promtool(['test', 'rules', 'ops/prometheus/alerts.test.yml']);
    expect(run).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });

  test("the compose profile's Prometheus configuration passes promtool check config", () => {
    const dir = mkdtempSync(join(tmpdir(), 'prom-config-'));
    const config = readFileSync('ops/prometheus/prometheus.compose.yml', 'utf8').replace(
      '/etc/prometheus/alerts.yml',
      resolve('ops/prometheus/alerts.yml'),
    );
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const check = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(check.code).toBe(0);
  });

  test('Grafana is provisioned with the Prometheus data source and the dashboard, whose panels all query it', () => {
    const datasource = parse(
      readFileSync('ops/grafana/provisioning/datasources/prometheus.yml', 'utf8'),
    ).datasources[0];
    expect(datasource).toMatchObject({ type: 'prometheus', uid: 'prometheus' });
    const dashboard = JSON.parse(
      readFileSync('ops/grafana/dashboards/integrations-platform.json', 'utf8'),
    );
    const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(20);
    for (const panel of panels) {
      expect({ title: panel.title, uid: panel.datasource.uid }).toEqual({
        title: panel.title,
        uid: 'prometheus',
      });
      expect(panel.targets.length).toBeGreaterThan(0);
    }
  });
});
