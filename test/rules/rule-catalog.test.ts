import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RunningService } from '#libs/service-kit/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { RULE_CATALOG, type RuleCatalog } from '../../apps/rules-engine/src/rules/rule-catalog.js';
import { startEngineStack, type EngineStack } from './support/engine-stack.js';
import { createRule } from './support/rules.js';

/**
 * Every delivery reads its workspace's enabled rules, so each replica keeps them in memory; a
 * change reaches only the replica that applies its event, which tells the others.
 */
describe("rules engine: a workspace's rules kept by each replica", () => {
  let s: EngineStack;
  let second: RunningService;

  beforeAll(async () => {
    s = await startEngineStack();
    second = await s.startEngine();
  }, 90_000);

  afterAll(async () => {
    await s?.close();
  });

  test('given two replicas keeping a rule, when it is disabled, then neither keeps it', async () => {
    const ruleId = await createRule(s, {
      name: 'Pushes to Slack',
      trigger: { event: 'push' },
      actions: [
        { provider: 'slack', method: 'send_message', params: { channel: '#eng', text: 'push' } },
      ],
    });
    const catalogs = [s.engine!, second].map((e) => e.app.get<RuleCatalog>(RULE_CATALOG));
    const keeps = async (catalog: RuleCatalog) =>
      (await catalog.enabledFor(s.team.workspaceId)).some((r) => r.id === ruleId);
    // Given: each replica has read the workspace's rules, as a delivery does.
    for (const catalog of catalogs) expect(await keeps(catalog)).toBe(true);

    // When: the rule is disabled (one replica applies the event).
    const disabled = await s.api('POST', `/api/rules/${ruleId}/disable`, {
      token: s.team.member,
      body: {},
    });
    expect(disabled.status).toBe(200);

    // Then: both drop it, well before what they keep would run out on its own (30 s).
    for (const [i, catalog] of catalogs.entries()) {
      await waitFor(async () => ((await keeps(catalog)) ? undefined : true), {
        what: `replica ${i + 1} to drop the disabled rule`,
        timeoutMs: 10_000,
      });
    }
  });
});
