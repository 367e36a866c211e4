import type pg from 'pg';
import {
  RuleEventTypes,
  type Envelope,
  type RuleCreatedData,
  type RuleDefinition,
  type RuleKind,
} from '#libs/contracts/src/index.js';

export const RULE_CATALOG = Symbol('RULE_CATALOG');

/** A rule as the engine runs it. */
export interface EngineRule {
  id: string;
  workspaceId: string;
  name: string;
  kind: RuleKind;
  enabled: boolean;
  definition: RuleDefinition;
  /** Since when it has been enabled without a break. */
  activeSince: string;
}

/**
 * The rules the engine runs (`rules.rules`), kept from the integration service's rule events:
 * created, enabled, disabled (by hand or by a disconnect), deleted. Each event applies once and
 * in order per rule (its stream version), so a redelivered event changes nothing.
 */
export class RuleCatalog {
  constructor(private readonly pool: pg.Pool) {}

  async apply(event: Envelope): Promise<void> {
    const version = event.streamVersion ?? 0;
    const ruleId = (event.data as { ruleId?: string }).ruleId;
    if (!ruleId || !event.workspaceId) return;
    switch (event.type) {
      case RuleEventTypes.created: {
        const d = event.data as RuleCreatedData;
        await this.pool.query(
          `INSERT INTO rules.rules (id, workspace_id, name, kind, enabled, trigger_event, definition, version, active_since)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
          [
            ruleId,
            event.workspaceId,
            d.name,
            d.kind,
            d.enabled,
            d.definition.trigger.event,
            JSON.stringify(d.definition),
            version,
            d.createdAt,
          ],
        );
        return;
      }
      case RuleEventTypes.enabled:
        await this.pool.query(
          `UPDATE rules.rules SET enabled = true, version = $2, active_since = $3, updated_at = now()
           WHERE id = $1 AND version < $2`,
          [ruleId, version, (event.data as { enabledAt?: string }).enabledAt ?? event.occurredAt],
        );
        return;
      case RuleEventTypes.disabled:
        await this.pool.query(
          'UPDATE rules.rules SET enabled = $2, version = $3, updated_at = now() WHERE id = $1 AND version < $3',
          [ruleId, false, version],
        );
        return;
      case RuleEventTypes.deleted:
        await this.pool.query(
          'UPDATE rules.rules SET deleted = true, enabled = false, version = $2 WHERE id = $1 AND version < $2',
          [ruleId, version],
        );
        return;
    }
  }

  /** Enabled rules and policies of a workspace that may start on `event` (e.g. `pull_request`). */
  async enabledFor(workspaceId: string): Promise<EngineRule[]> {
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT id, workspace_id, name, kind, enabled, definition, active_since FROM rules.rules
       WHERE workspace_id = $1 AND enabled AND NOT deleted ORDER BY id`,
      [workspaceId],
    );
    return rows.map(toRule);
  }

  async byId(ruleId: string): Promise<EngineRule | undefined> {
    const { rows } = await this.pool.query<RuleRow>(
      'SELECT id, workspace_id, name, kind, enabled, definition, active_since FROM rules.rules WHERE id = $1 AND NOT deleted',
      [ruleId],
    );
    return rows[0] ? toRule(rows[0]) : undefined;
  }

  /** Every enabled rule with a schedule or poll trigger, across workspaces. */
  async timed(): Promise<EngineRule[]> {
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT id, workspace_id, name, kind, enabled, definition, active_since FROM rules.rules
       WHERE enabled AND NOT deleted AND trigger_event IN ('schedule', 'poll') ORDER BY id`,
    );
    return rows.map(toRule);
  }
}

interface RuleRow {
  id: string;
  workspace_id: string;
  name: string;
  kind: RuleKind;
  enabled: boolean;
  definition: RuleDefinition;
  active_since: Date;
}

const toRule = (r: RuleRow): EngineRule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  kind: r.kind,
  enabled: r.enabled,
  definition: r.definition,
  activeSince: r.active_since.toISOString(),
});
