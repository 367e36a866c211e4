import type pg from 'pg';
import type { RuleDefinition, RuleKind } from '#libs/contracts/src/index.js';

export const RULE_CATALOG = Symbol('RULE_CATALOG');

/** How long a workspace's enabled rules are kept without hearing of a change. */
const ENABLED_RULES_KEEP_MS = 30_000;
/** Workspaces whose rules are kept at once; the oldest kept goes first. */
const MAX_KEPT_WORKSPACES = 10_000;

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
 * The rules the engine runs, as read from `rules.rules` (which `ruleCatalogProjection` keeps from
 * the integration service's rule events), with each workspace's enabled rules kept in memory.
 */
export class RuleCatalog {
  /** Each workspace's enabled rules, as every delivery to it reads them. */
  private readonly enabled = new Map<string, { rules: EngineRule[]; at: number }>();
  /** Bumped by every change: a read that began before one is not kept. */
  private changes = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly keepMs = ENABLED_RULES_KEEP_MS,
  ) {}

  /** Drops a workspace's rules from memory (a change applied here or heard of from a replica). */
  forget(workspaceId: string): void {
    this.changes++;
    this.enabled.delete(workspaceId);
  }

  /**
   * Enabled rules and policies of a workspace. Kept in memory between deliveries (every delivery
   * of a workspace reads them); a change drops them here at once and on the other replicas by a
   * notice (`RulesEngineSubjects.rulesChanged`), and `keepMs` bounds how long a lost notice can
   * leave them stale.
   */
  async enabledFor(workspaceId: string): Promise<EngineRule[]> {
    const kept = this.enabled.get(workspaceId);
    if (kept && Date.now() - kept.at < this.keepMs) return kept.rules;
    const changes = this.changes;
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT id, workspace_id, name, kind, enabled, definition, active_since FROM rules.rules
       WHERE workspace_id = $1 AND enabled AND NOT deleted ORDER BY id`,
      [workspaceId],
    );
    const rules = rows.map(toRule);
    if (changes === this.changes) {
      if (this.enabled.size >= MAX_KEPT_WORKSPACES) {
        this.enabled.delete(this.enabled.keys().next().value!);
      }
      this.enabled.set(workspaceId, { rules, at: Date.now() });
    }
    return rules;
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
