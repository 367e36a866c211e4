import { waitFor } from '#libs/testing/src/index.js';
import type { EngineStack } from './engine-stack.js';
import { pullState } from './simulators.js';

/** Creates a rule over HTTP and waits until the engine has it (it learns rules from the bus). */
export async function createRule(s: EngineStack, rule: Record<string, unknown>): Promise<string> {
  const created = await s.api('POST', '/api/rules', { token: s.team.member, body: rule });
  if (created.status !== 201) throw new Error(`rule not created: ${JSON.stringify(created.body)}`);
  const id = created.body.rule.id as string;
  await waitFor(
    async () => {
      const rows = await s.stack.db.query('SELECT enabled FROM rules.rules WHERE id = $1', [id]);
      return rows[0]?.enabled === true ? true : undefined;
    },
    { what: `the engine to learn rule ${id}` },
  );
  return id;
}

export async function runsOf(s: EngineStack, ruleId: string, query = '') {
  const answer = await s.api('GET', `/api/rules/${ruleId}/runs${query}`, { token: s.team.viewer });
  if (answer.status !== 200)
    throw new Error(`runs: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as { runs: any[]; total: number; page: number; per_page: number };
}

/** Waits for the statuses on a pull request's head to reach `count`, and returns them. */
export async function untilStatuses(s: EngineStack, repo: string, number: number, count = 1) {
  return waitFor(
    async () => {
      const { statuses } = await pullState(s.sims.github, repo, number);
      return statuses.length >= count ? statuses : undefined;
    },
    { what: `${count} commit status(es) on ${repo}#${number}`, timeoutMs: 20_000 },
  );
}

export async function untilRuns(s: EngineStack, ruleId: string, count: number, finished = true) {
  return waitFor(
    async () => {
      const { runs } = await runsOf(s, ruleId, '?per_page=100');
      const done = runs.filter((r) => !finished || r.finishedAt);
      return done.length >= count ? runs : undefined;
    },
    { what: `${count} run(s) of rule ${ruleId}`, timeoutMs: 20_000 },
  );
}
