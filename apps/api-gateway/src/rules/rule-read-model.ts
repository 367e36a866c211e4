import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { RuleDefinition, RuleView } from '#libs/contracts/src/index.js';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { isUuid } from '../auth/workspace-store.js';
import type { RuleRow } from '../projections/read-models.js';
import { ruleFromDb } from '../projections/row-sql.js';

/** A rule as `/api/rules` shows it: enabled or not, and when not, why and by which event. */
export interface RuleResource {
  id: string;
  name: string;
  kind: 'rule' | 'policy';
  enforcement: string | null;
  enabled: boolean;
  providers: string[];
  disabled: {
    reason: string;
    message: string | null;
    byEventId: string | null;
    byIntegrationId: string | null;
  } | null;
  definition: RuleDefinition;
  createdAt: string;
  updatedAt: string;
}

type RuleLike = Pick<
  RuleRow,
  | 'id'
  | 'name'
  | 'kind'
  | 'enforcement'
  | 'definition'
  | 'providers'
  | 'enabled'
  | 'disabledReason'
  | 'disabledByEventId'
  | 'disabledByIntegrationId'
  | 'createdAt'
  | 'updatedAt'
> & { disabledMessage?: string | null };

export function toRuleResource(rule: RuleLike): RuleResource {
  return {
    id: rule.id,
    name: rule.name,
    kind: rule.kind,
    enforcement: rule.enforcement,
    enabled: rule.enabled,
    providers: rule.providers,
    disabled: rule.enabled
      ? null
      : {
          reason: rule.disabledReason ?? 'unknown',
          message: rule.disabledMessage ?? null,
          byEventId: rule.disabledByEventId,
          byIntegrationId: rule.disabledByIntegrationId,
        },
    definition: rule.definition,
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}

/** The service's view, where the read model is behind (it names the reason in words only). */
export function ruleViewToResource(view: RuleView): RuleResource {
  return toRuleResource({ ...view, disabledMessage: view.disabledReason });
}

/** Reads of `gateway.rules`, always scoped by the caller's workspace. */
@Injectable()
export class RuleReadModel {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async list(
    workspaceId: string,
    filter: { enabled?: boolean; provider?: string },
  ): Promise<RuleResource[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM gateway.rules
        WHERE workspace_id = $1 AND ($2::boolean IS NULL OR enabled = $2)
          AND ($3::text IS NULL OR $3 = ANY(providers))
        ORDER BY created_at, id`,
      [workspaceId, filter.enabled ?? null, filter.provider ?? null],
    );
    return rows.map((r: Record<string, unknown>) => toRuleResource(ruleFromDb(r)));
  }

  async byId(workspaceId: string, id: string): Promise<RuleResource | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.dataSource.query(
      `SELECT * FROM gateway.rules WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
    return rows[0] ? toRuleResource(ruleFromDb(rows[0])) : undefined;
  }
}
