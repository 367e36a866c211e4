import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { IntegrationSubjects as S, type IntegrationView } from '#libs/contracts/src/index.js';
import { startHarness, value, type Harness } from './support/harness.js';

describe('the integration service when Postgres ends its connections', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  test('keeps running and answers the next command on a fresh connection', async () => {
    // Given the service has pooled connections
    expect(value(await h.send<IntegrationView[]>(S.list, {}))).toEqual([]);

    // When Postgres terminates every idle connection of the service (as a restart does)
    const ended = await h.db.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'integration-service'
         AND state = 'idle'`,
    );
    expect(ended.length).toBeGreaterThan(0);

    // Then the process is still up and the next command is answered
    const connected = await h.send<IntegrationView>(S.connect, {
      provider: 'slack',
      payload: { botToken: 'xoxb-after-terminate' },
    });
    expect(connected).toMatchObject({ ok: true });
    expect(value(await h.send<IntegrationView[]>(S.list, {})).map((i) => i.provider)).toEqual([
      'slack',
    ]);
  });
});
