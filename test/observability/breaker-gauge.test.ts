import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { waitFor } from '#libs/testing/src/index.js';
import { startEngineStack, type EngineStack } from '../rules/support/engine-stack.js';
import { scrape } from './support/metrics.js';

/**
 * `policy_circuit_breaker_state` on a rules engine's /metrics, read from the breakers' stored
 * state (`rules.breakers`) at scrape time: what another replica opened, or this one before a
 * restart, shows; a breaker whose open time has passed does not, though no evaluation closed it.
 */
describe('the circuit breaker gauge', () => {
  let s: EngineStack;

  beforeAll(async () => {
    s = await startEngineStack();
  }, 120_000);

  afterAll(async () => {
    await s?.close();
  });

  /** A breaker's row as the breaker store writes it (apps/rules-engine/src/policies/breaker.ts). */
  const storeBreaker = async (openUntil: string | null) => {
    const policy = randomUUID();
    await s.stack.db.query(`INSERT INTO rules.breakers (policy_id, state) VALUES ($1, $2)`, [
      policy,
      JSON.stringify({ buckets: {}, openUntil, version: openUntil ? 1 : 0 }),
    ]);
    return policy;
  };
  const breakerSeries = async () => {
    const { body } = await scrape(s.engine!.url);
    return body.split('\n').filter((line) => line.startsWith('policy_circuit_breaker_state{'));
  };
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

  test('given breakers another replica stored, when the engine is scraped, then only the open one shows, at 2', async () => {
    // Given an open breaker, one whose open time passed with no evaluation since, and a closed one,
    // none of them opened or closed by this engine
    const open = await storeBreaker(inMinutes(20));
    const expired = await storeBreaker(inMinutes(-10));
    const closed = await storeBreaker(null);

    // When the engine is scraped
    const series = await breakerSeries();

    // Then the open breaker reads 2 and the other two have no series
    expect(series).toContain(`policy_circuit_breaker_state{policy="${open}"} 2`);
    expect(series.join('\n')).not.toMatch(new RegExp(`${expired}|${closed}`));
    const { body } = await scrape(s.engine!.url);
    expect(body).toMatch(/^# HELP policy_circuit_breaker_state .*open.*2/m);
    expect(body).not.toMatch(/half.open/i);
  });

  test('given an open breaker, when its open time passes with no evaluation, then it stops showing', async () => {
    // Given a breaker open for two more seconds, shown as open
    const policy = await storeBreaker(new Date(Date.now() + 2_000).toISOString());
    expect(await breakerSeries()).toContain(`policy_circuit_breaker_state{policy="${policy}"} 2`);

    // When its open time passes and nothing evaluates the policy
    await waitFor(
      async () =>
        (await breakerSeries()).some((line) => line.includes(policy)) ? undefined : true,
      { timeoutMs: 10_000, intervalMs: 250, what: 'the expired breaker to drop out' },
    );

    // Then the stored row still says open (only the next check closes it), yet no series shows
    const [row] = await s.stack.db.query<{ open_until: string | null }>(
      `SELECT state->>'openUntil' AS open_until FROM rules.breakers WHERE policy_id = $1`,
      [policy],
    );
    expect(row?.open_until).not.toBeNull();
    expect(Date.parse(row!.open_until!)).toBeLessThanOrEqual(Date.now());
  }, 30_000);
});
