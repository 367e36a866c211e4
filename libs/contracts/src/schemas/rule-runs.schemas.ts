import { z } from 'zod';
import type {
  GetRunQuery,
  ListRunsQuery,
  RuleRunView,
  RunsPage,
  TestRuleCommand,
} from '../rule-runs.js';
import { isoTime } from './common.schemas.js';
import { describes } from './proof.js';

const checkValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.string()), z.null()]);

export const ruleRunViewSchema = describes<RuleRunView>()(
  z.object({
    id: z.string(),
    ruleId: z.string(),
    workspaceId: z.string(),
    trigger: z.union([
      z.object({ type: z.literal('webhook'), event: z.string(), deliveryId: z.string() }),
      z.object({ type: z.literal('schedule'), event: z.literal('schedule'), scheduledAt: isoTime }),
      z.object({ type: z.literal('poll'), event: z.literal('poll'), scheduledAt: isoTime }),
      z.object({ type: z.literal('test'), event: z.string() }),
    ]),
    startedAt: isoTime,
    finishedAt: isoTime.nullable(),
    outcome: z.enum(['matched', 'not_matched', 'skipped', 'failed']).nullable(),
    reason: z.string().nullable(),
    conditions: z.array(
      z.object({
        provider: z.string(),
        check: z.string(),
        operator: z.string(),
        value: z.unknown().optional(),
        actual: checkValue.optional(),
        result: z.boolean().nullable(),
        pullNumber: z.number().int().optional(),
        error: z.string().optional(),
      }),
    ),
    actions: z.array(
      z.object({
        provider: z.string(),
        method: z.string(),
        key: z.string(),
        outcome: z.enum(['done', 'failed', 'not_performed', 'unknown']),
        params: z.record(z.string(), z.unknown()).optional(),
        ref: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        error: z.string().optional(),
      }),
    ),
    policy: z
      .object({
        context: z.string(),
        state: z.enum(['success', 'failure']),
        description: z.string(),
        sha: z.string(),
        repo: z.string(),
        pullNumber: z.number().int(),
        mode: z.enum(['passed', 'violation', 'fail_open', 'breaker_open']),
      })
      .nullable(),
    dryRun: z.boolean(),
  }),
);

export const ruleRunSchemas = {
  listRuns: describes<ListRunsQuery>()(
    z.object({
      ruleId: z.string(),
      page: z.number().int().optional(),
      perPage: z.number().int().optional(),
    }),
  ),
  runsPage: describes<RunsPage>()(
    z.object({
      runs: z.array(ruleRunViewSchema),
      total: z.number().int(),
      page: z.number().int(),
      per_page: z.number().int(),
    }),
  ),
  getRun: describes<GetRunQuery>()(z.object({ ruleId: z.string(), runId: z.string() })),
  test: describes<TestRuleCommand>()(
    z.object({
      ruleId: z.string(),
      name: z.string(),
      definition: z.unknown(),
      trigger: z
        .object({
          event: z.string().optional(),
          data: z.record(z.string(), z.unknown()).optional(),
        })
        .optional(),
    }),
  ),
  /** The rules engine owns the shape of its scheduled work items. */
  job: z.record(z.string(), z.unknown()).describe('a due evaluation: a rule and its due time'),
};
