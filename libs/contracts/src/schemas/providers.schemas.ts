import { z } from 'zod';
import type {
  ProviderActCommand,
  ProviderActResult,
  ProviderCheckCommand,
  ProviderCheckResult,
  ProviderPullsCheckCommand,
  ProviderPullsCheckResult,
} from '../providers/provider-calls.js';
import { describes } from './proof.js';

const target = z.object({
  repo: z.string().optional(),
  number: z.number().int().optional(),
  ref: z.string().optional(),
  channel: z.string().optional(),
});
const checkValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.string()), z.null()]);

export const providerCommandSchemas = {
  check: describes<ProviderCheckCommand>()(
    z.object({ provider: z.string(), checks: z.array(z.string()), target }),
  ),
  checkPulls: describes<ProviderPullsCheckCommand>()(
    z.object({
      provider: z.literal('github'),
      repo: z.string(),
      checks: z.array(z.string()),
      cursor: z.string().optional(),
      perPage: z.number().int().optional(),
    }),
  ),
  act: describes<ProviderActCommand>()(
    z.object({
      provider: z.string(),
      method: z.string(),
      params: z.record(z.string(), z.unknown()),
      target,
      actionKey: z.string(),
    }),
  ),
};

export const providerResultSchemas = {
  check: describes<ProviderCheckResult>()(
    z.object({
      provider: z.string(),
      values: z.record(z.string(), checkValue),
      providerCalls: z.number().int(),
    }),
  ),
  checkPulls: describes<ProviderPullsCheckResult>()(
    z.object({
      pulls: z.array(
        z.object({
          number: z.number().int(),
          title: z.string(),
          headSha: z.string(),
          values: z.record(z.string(), checkValue),
        }),
      ),
      nextCursor: z.string().nullable(),
      providerCalls: z.number().int(),
    }),
  ),
  act: describes<ProviderActResult>()(
    z.object({
      provider: z.string(),
      method: z.string(),
      ref: z.record(z.string(), z.union([z.string(), z.number()])),
      providerCalls: z.number().int(),
    }),
  ),
};
