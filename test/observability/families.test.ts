import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '#libs/testing/src/index.js';
import {
  startEngineStack,
  WEBHOOK_SECRET,
  type EngineStack,
} from '../rules/support/engine-stack.js';
import { createRule } from '../rules/support/rules.js';
import { openPull } from '../rules/support/simulators.js';
import { payloadFor, post, signedDelivery } from '../webhooks/support/deliveries.js';
import { promtool, sample, scrape, seriesOf, unboundedLabels } from './support/metrics.js';

/**
 * What the platform's own traffic shows on /metrics: GitHub deliveries at the gateway and in the
 * scanner, the scanner's calls to GitHub (the simulator) and its scans, rule runs and their
 * actions, and the publishers' and projections' lag. Each figure is read from the service that
 * counts it; but the four services run in this one process here and share one registry, so any of
 * them would show it: which service shows which family is per-service-metrics.test.ts's to say.
 */
describe('metric families under traffic', () => {
  let s: EngineStack;
  let installation: string;
  let services: () => { name: string; url: string }[];

  /** A rule's action: a message to the Slack simulator. */
  const toSlack = {
    provider: 'slack',
    method: 'send_message',
    params: { channel: '#eng', message: '{{rule.name}}' },
  };
  const scraped = async (url: string) => (await scrape(url)).body;
  /** A sample's value, 0 when it has no series yet (a labelled counter before its first count). */
  const count = (body: string, name: string, labels: Record<string, string> = {}) =>
    sample(body, name, labels) || 0;
  const scanner = () => scraped(s.stack.scanner.url);
  const gateway = () => scraped(s.stack.gateway.url);
  const engine = () => scraped(s.engine!.url);

  /** Starts a scan of the organization and waits for the scanner to observe its duration. */
  const scanOrg = async () => {
    const before = count(await scanner(), 'scanner_scan_duration_seconds_count');
    const started = await s.api('POST', '/api/integrations/github/scan-org', {
      token: s.team.owner,
    });
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const body = await scanner();
        return count(body, 'scanner_scan_duration_seconds_count') > before ? body : undefined;
      },
      { timeoutMs: 20_000, what: 'the scan to finish' },
    );
  };

  /** Opens a pull request of 710 changed lines on the first repository; the simulator delivers it. */
  const openLargePull = (title: string) =>
    openPull(s.sims.github, s.sims.github.org.repos[0]!.name, {
      title,
      additions: 700,
      deletions: 10,
    });

  beforeAll(async () => {
    // GitHub (the simulator's installation) and Slack connected, and pings delivered until the
    // gateway mapped the installation: discovery and intake have begun once this returns.
    s = await startEngineStack();
    installation = String(s.sims.github.installationId);
    services = () =>
      [s.stack.gateway, s.stack.integration, s.stack.scanner, s.engine!].map(({ name, url }) => ({
        name,
        url,
      }));
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  test('given GitHub connected, when the scanner discovers the installation, then its GitHub calls count by route template and status, and the points left are kept per installation', async () => {
    // Given GitHub connected to the simulator's installation (beforeAll)
    // When the scanner acts as the installation: a token first, then the organization's data
    const body = await waitFor(
      async () => {
        const body = await scanner();
        return count(body, 'github_requests_total', { status: '200' }) > 0 ? body : undefined;
      },
      { timeoutMs: 20_000, what: "the scanner's first GitHub reads" },
    );

    // Then each call counts under its route template, and the points left under the installation
    expect(
      sample(body, 'github_requests_total', {
        route: 'POST /app/installations/{installation_id}/access_tokens',
        status: '201',
      }),
    ).toBeGreaterThanOrEqual(1);
    const left = seriesOf(body).filter((x) => x.name === 'github_rate_limit_remaining');
    expect(left.length).toBeGreaterThan(0);
    for (const { labels, value } of left) {
      expect(labels.installation).toBe(installation);
      expect(labels.resource).toMatch(/^(core|graphql|search)$/);
      expect(value).toBeGreaterThan(0);
    }
  });

  test('given an organization scan, when it completes, then each repository counts as scanned; when a second finds nothing changed, its conditional requests count as not modified', async () => {
    // Given the repositories the simulator serves
    const repos = s.sims.github.org.repos.length;
    const before = await scanner();

    // When a scan of the organization completes
    const first = await scanOrg();

    // Then every repository counted as scanned, and the scan's duration was observed
    expect(
      count(first, 'scanner_repositories_total', { result: 'scanned' }) -
        count(before, 'scanner_repositories_total', { result: 'scanned' }),
    ).toBe(repos);
    expect(count(first, 'scanner_repositories_total', { result: 'failed' })).toBe(
      count(before, 'scanner_repositories_total', { result: 'failed' }),
    );
    expect(
      count(first, 'scanner_scan_duration_seconds_count', { outcome: 'completed' }) -
        count(before, 'scanner_scan_duration_seconds_count', { outcome: 'completed' }),
    ).toBe(1);

    // When a second scan reads the same, unchanged organization
    const second = await scanOrg();

    // Then GitHub answered its conditional reads 304, each counted as a request and as not modified
    const notModified =
      count(second, 'github_not_modified_total') - count(first, 'github_not_modified_total');
    expect(notModified).toBeGreaterThan(0);
    expect(
      count(second, 'github_requests_total', { status: '304' }) -
        count(first, 'github_requests_total', { status: '304' }),
    ).toBe(notModified);
  }, 60_000);

  test('given a rule that messages Slack about large pull requests, when the simulator delivers one, then intake, processing, the run and its action are counted', async () => {
    // Given a rule on opened pull requests of 200 lines or more that messages Slack
    const org = s.sims.github.org.login;
    await createRule(s, {
      name: 'Large PRs to Slack',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request.opened' },
      condition: {
        provider: 'github',
        check: 'pr.changed_lines',
        operator: 'gte',
        value: 200,
        repo: `${org}/${s.sims.github.org.repos[0]!.name}`,
      },
      action: toSlack,
    });
    const [gatewayBefore, scannerBefore, engineBefore] = await Promise.all([
      gateway(),
      scanner(),
      engine(),
    ]);

    // When the simulator opens a large pull request and delivers it, signed, to the gateway
    await openLargePull('observed');

    // Then the engine counts the matched run and the Slack message it sent
    const delta = (after: string, before: string, name: string, labels: Record<string, string>) =>
      count(after, name, labels) - count(before, name, labels);
    const engineAfter = await waitFor(
      async () => {
        const body = await engine();
        return delta(body, engineBefore, 'rule_runs_total', {}) > 0 ? body : undefined;
      },
      { timeoutMs: 20_000, what: 'the rule run to finish' },
    );
    expect(delta(engineAfter, engineBefore, 'rule_runs_total', { outcome: 'matched' })).toBe(1);
    expect(
      delta(engineAfter, engineBefore, 'rule_actions_total', {
        provider: 'slack',
        outcome: 'done',
      }),
    ).toBe(1);
    // And the gateway counts the delivery accepted, and the scanner counts it processed
    expect(
      delta(await gateway(), gatewayBefore, 'webhook_deliveries_received_total', {
        event: 'pull_request',
        outcome: 'accepted',
      }),
    ).toBe(1);
    const scannerAfter = await waitFor(
      async () => {
        const body = await scanner();
        return delta(body, scannerBefore, 'webhook_deliveries_processed_total', {
          event: 'pull_request',
        }) > 0
          ? body
          : undefined;
      },
      { timeoutMs: 20_000, what: 'the scanner to process the delivery' },
    );
    expect(
      delta(scannerAfter, scannerBefore, 'webhook_receipt_to_applied_seconds_count', {
        event: 'pull_request',
      }),
    ).toBe(1);
    expect(
      delta(scannerAfter, scannerBefore, 'webhook_deliveries_processed_total', {
        event: 'pull_request',
        outcome: 'dead_lettered',
      }),
    ).toBe(0);
  });

  test('given events appended and projected, when everything caught up, then publisher and projection lag read 0 and nothing is parked', async () => {
    // Given a rule created: events in the rules schema, published, projected by the gateway and
    // learnt by the engine (createRule waits for the engine)
    await createRule(s, {
      name: 'Lag probe',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request.closed' },
      condition: { provider: 'github', check: 'pr.changed_lines', operator: 'gt', value: 1 },
      action: toSlack,
    });

    // When every publisher and projection has caught up (no position left to publish or apply)
    const body = await waitFor(
      async () => {
        const body = await gateway();
        const positions = seriesOf(body).filter(
          (x) =>
            x.name === 'projection_lag_positions' || x.name === 'event_publisher_lag_positions',
        );
        return positions.length > 0 && positions.every((x) => x.value === 0) ? body : undefined;
      },
      { timeoutMs: 20_000, what: 'every publisher and projection to catch up' },
    );

    // Then each service's projections report, each at 0 seconds of lag and none parked
    const of = (name: string) => seriesOf(body).filter((x) => x.name === name);
    const projections = of('projection_lag_positions').map((x) => x.labels.projection!);
    expect(projections).toEqual(
      expect.arrayContaining([
        'gateway-integration-events',
        'gateway-scanner-events',
        'scanner-integrations',
        'rules-engine-rule-events',
      ]),
    );
    const caughtUp = Object.fromEntries(projections.map((p) => [p, 0]));
    for (const name of ['projection_lag_seconds', 'projection_events_parked']) {
      const figures = Object.fromEntries(of(name).map((x) => [x.labels.projection, x.value]));
      expect({ name, figures }).toEqual({ name, figures: caughtUp });
    }
    // And the leading publisher's oldest unpublished event is 0 seconds old
    const publishers = of('event_publisher_lag_seconds');
    expect(publishers.length).toBeGreaterThan(0);
    for (const { labels, value } of publishers)
      expect({ ...labels, value }).toEqual({ ...labels, value: 0 });
  });

  test('given deliveries, scans, runs and actions, then no label value names a workspace, rule, delivery, repository, commit or installation (but the documented one)', async () => {
    // Given traffic carrying ids: a delivery for an installation nobody connected, a delivery
    // from the simulator that runs the rules, and the scans and discovery
    const stranger = await signedDelivery(WEBHOOK_SECRET, 'ping', payloadFor(987_654, 'ping'));
    expect((await post(s.stack.gateway.url, stranger)).body).toMatchObject({
      reason: 'unknown_installation',
    });
    const pull = await openLargePull('ids');
    const deliveries = await waitFor(
      async () => {
        const answer = await fetch(`${s.sims.github.url}/_simulator/deliveries`);
        const { deliveries } = (await answer.json()) as {
          deliveries: { deliveryId: string; status: number | string }[];
        };
        return deliveries.length > 0 && deliveries.every((d) => d.status === 202)
          ? deliveries.map((d) => d.deliveryId)
          : undefined;
      },
      { what: "the simulator's deliveries to be taken" },
    );
    const rules = (await s.api('GET', '/api/rules', { token: s.team.viewer })).body.rules as {
      id: string;
    }[];
    const { github } = s.sims;
    const known = [
      s.team.workspaceId,
      ...Object.values(s.team.memberIds),
      ...rules.map((r) => r.id),
      stranger.deliveryId,
      ...deliveries,
      pull.head.sha,
      github.org.login,
      github.org.id,
      ...github.org.repos.flatMap((r) => [r.name, r.id]),
      installation,
      987_654,
    ];
    // (The check itself catches each kind: a known name, a UUID, a long number, a sha.)
    expect(
      unboundedLabels(
        [
          `a{repo="${github.org.repos[0]!.name}"} 1`,
          `b{delivery="${stranger.deliveryId}"} 1`,
          `c{repository="${github.org.repos[0]!.id}"} 1`,
          `d{sha="${pull.head.sha}"} 1`,
        ].join('\n'),
        known,
      ),
    ).toHaveLength(4);

    // When each service is scraped
    for (const { name, url } of services()) {
      const body = await scraped(url);
      // Then no label value is one of those ids, or looks like one
      expect({ name, unbounded: unboundedLabels(body, known) }).toEqual({ name, unbounded: [] });
    }
    // And the installation shows only where it is documented to: the points left per installation
    const withInstallation = seriesOf(await scanner()).filter((x) =>
      Object.values(x.labels).includes(installation),
    );
    expect(withInstallation.length).toBeGreaterThan(0);
    expect(new Set(withInstallation.map((x) => x.name))).toEqual(
      new Set(['github_rate_limit_remaining']),
    );
  });

  test("given the traffic, then promtool still accepts each service's /metrics, the rules engine's with its run and action samples", async () => {
    // Given a large pull request delivered, which the rule of an earlier test or this one runs on
    await createRule(s, {
      name: 'Large PRs, again',
      trigger: { type: 'webhook', source: 'github', event: 'pull_request.opened' },
      condition: { provider: 'github', check: 'pr.changed_lines', operator: 'gte', value: 200 },
      action: toSlack,
    });
    await openLargePull('promtool');
    await waitFor(async () => (count(await engine(), 'rule_runs_total') > 0 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'a rule run',
    });

    // When each service is scraped, Then promtool accepts it
    for (const { name, url } of services()) {
      const { status, body } = await scrape(url);
      expect({ name, status }).toEqual({ name, status: 200 });
      expect({ name, ...promtool(['check', 'metrics'], body) }).toEqual({
        name,
        code: 0,
        output: '',
      });
    }
    const body = await engine();
    expect(body).toMatch(/^# TYPE rule_runs_total counter$/m);
    expect(body).toMatch(/^rule_runs_total\{outcome="[a-z_]+"\} [1-9]/m);
    expect(body).toMatch(/^rule_actions_total\{provider="slack",outcome="[a-z_]+"\} [1-9]/m);
  });
});
