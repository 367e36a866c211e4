import { z } from 'zod';
import {
  ENFORCEMENTS,
  type CreateRuleCommand,
  type DisableRuleCommand,
  type ListRulesQuery,
  type RuleCreatedData,
  type RuleDefinition,
  type RuleDeletedData,
  type RuleDisabledData,
  type RuleEnabledData,
  type RuleView,
} from '../rules.js';
import { isoTime } from './common.schemas.js';
import { describes } from './proof.js';

export const ruleDefinitionDocSchema = describes<RuleDefinition>()(
  z.object({
    name: z.string(),
    description: z.string().optional(),
    kind: z.enum(['rule', 'policy']),
    enforcement: z.enum(ENFORCEMENTS).optional(),
    trigger: z.object({
      event: z.string(),
      schedule: z.string().optional(),
      interval: z.string().optional(),
    }),
    match: z.enum(['all', 'any']).optional(),
    conditions: z.array(
      z.object({
        provider: z.string(),
        check: z.string(),
        operator: z.string(),
        value: z.unknown().optional(),
        repo: z.string().optional(),
        channel: z.string().optional(),
      }),
    ),
    actions: z.array(
      z.object({
        provider: z.string(),
        method: z.string(),
        params: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  }),
);

export const ruleViewSchema = describes<RuleView>()(
  z.object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    kind: z.enum(['rule', 'policy']),
    enforcement: z.enum(ENFORCEMENTS).nullable(),
    definition: ruleDefinitionDocSchema,
    providers: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    disabledByEventId: z.string().nullable(),
    disabledByIntegrationId: z.string().nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
    version: z.number().int(),
  }),
);

export const ruleCommandSchemas = {
  create: describes<CreateRuleCommand>()(
    z.object({
      definition: z.unknown().describe('a rule definition, YAML or JSON, validated by the service'),
      enabled: z.boolean().optional(),
    }),
  ),
  byId: z.object({ ruleId: z.string() }),
  disable: describes<DisableRuleCommand>()(
    z.object({ ruleId: z.string(), reason: z.string().optional() }),
  ),
  list: describes<ListRulesQuery>()(
    z.object({ enabled: z.boolean().optional(), provider: z.string().optional() }),
  ),
};

export const ruleEventSchemas = {
  RuleCreated: describes<RuleCreatedData>()(
    z.object({
      ruleId: z.string(),
      name: z.string(),
      kind: z.enum(['rule', 'policy']),
      enforcement: z.enum(ENFORCEMENTS).nullable(),
      definition: ruleDefinitionDocSchema,
      providers: z.array(z.string()),
      enabled: z.boolean(),
      disabledReason: z.string().nullable(),
      createdAt: isoTime,
    }),
  ),
  RuleEnabled: describes<RuleEnabledData>()(z.object({ ruleId: z.string(), enabledAt: isoTime })),
  RuleDisabled: describes<RuleDisabledData>()(
    z.object({
      ruleId: z.string(),
      reason: z.enum([
        'manual',
        'integration_disconnected',
        'integration_deleted',
        'provider_not_connected',
      ]),
      message: z.string(),
      provider: z.string().nullable(),
      integrationId: z.string().nullable(),
      causeEventId: z.string().nullable(),
      disabledAt: isoTime,
    }),
  ),
  RuleDeleted: describes<RuleDeletedData>()(z.object({ ruleId: z.string(), deletedAt: isoTime })),
};
