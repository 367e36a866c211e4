import pg from 'pg';
import { IntegrationEventTypes, RuleEventTypes } from '#libs/contracts/src/index.js';
import type { LedgerEntry, LoadWorkspace } from './load.js';

export interface EffectCounts {
  /** Operations that got a 2xx. */
  acked: number;
  /** Of those, how many have no effect (no event, no read-model row, delivery not processed). */
  missing: number;
  /** Of those, how many took effect more than once (events, audit entries or rule rows). */
  twice: number;
  /** The missing ones by kind of write (connect, disconnect, rule, webhook). */
  missingByKind: Record<string, number>;
  /** Up to five missing ones with what was found of each: [events, audit entries, rule rows]. */
  missingSample: Array<{ kind: string; id: string; found: number[]; ackedAt?: number }>;
  /** Workspaces whose Slack integration does not read as their last answered command left it. */
  wrongState: number;
}

/** The event and the audit-log action each write leaves, found by its correlation id. */
const TRACES = {
  connect: { event: IntegrationEventTypes.connected, audit: 'connected' },
  disconnect: { event: IntegrationEventTypes.disconnected, audit: 'disconnected' },
  rule: { event: RuleEventTypes.created, audit: 'rule_created' },
} as const;

const countBy = (rows: Array<{ id: string; n: string }>) =>
  new Map(rows.map((r) => [r.id, Number(r.n)]));

/**
 * Reads what the acknowledged writes left behind, from the database: the integration service's
 * event log (the write side), the gateway's read models (audit log, rules, integrations) and the
 * scanner's record of processed webhook deliveries.
 */
export async function checkEffects(
  databaseUrl: string,
  entries: LedgerEntry[],
  workspaces: LoadWorkspace[] = [],
): Promise<EffectCounts> {
  const acked = entries.filter((e) => e.outcome === 'acked');
  const ids = acked.map((e) => e.id);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    const events = countBy(
      (
        await client.query(
          `SELECT metadata->>'correlationId' AS id, count(*) AS n FROM integration.events
            WHERE metadata->>'correlationId' = ANY($1) AND type = ANY($2) GROUP BY 1`,
          [ids, Object.values(TRACES).map((t) => t.event)],
        )
      ).rows,
    );
    const audit = countBy(
      (
        await client.query(
          `SELECT correlation_id AS id, count(*) AS n FROM gateway.audit_log
            WHERE correlation_id = ANY($1) AND action = ANY($2) GROUP BY 1`,
          [ids, Object.values(TRACES).map((t) => t.audit)],
        )
      ).rows,
    );
    const rules = countBy(
      (
        await client.query(
          `SELECT name AS id, count(*) AS n FROM gateway.rules WHERE name = ANY($1) GROUP BY 1`,
          [acked.filter((e) => e.name).map((e) => e.name)],
        )
      ).rows,
    );
    const deliveries = new Set(
      (
        await client.query<{ id: string }>(
          `SELECT delivery_id AS id FROM scanner.webhook_deliveries WHERE delivery_id = ANY($1)`,
          [acked.filter((e) => e.kind === 'webhook').map((e) => e.id)],
        )
      ).rows.map((r) => r.id),
    );
    let missing = 0;
    let twice = 0;
    const missingByKind: Record<string, number> = {};
    const missingSample: EffectCounts['missingSample'] = [];
    for (const entry of acked) {
      const counts =
        entry.kind === 'webhook'
          ? [deliveries.has(entry.id) ? 1 : 0]
          : [events.get(entry.id) ?? 0, audit.get(entry.id) ?? 0];
      if (entry.kind === 'rule') counts.push(rules.get(entry.name!) ?? 0);
      if (counts.some((n) => n === 0)) {
        missing++;
        missingByKind[entry.kind] = (missingByKind[entry.kind] ?? 0) + 1;
        if (missingSample.length < 5) {
          missingSample.push({
            kind: entry.kind,
            id: entry.id,
            found: counts,
            ackedAt: entry.ackedAt,
          });
        }
      } else if (counts.some((n) => n > 1)) twice++;
    }
    const slack = new Map(
      (
        await client.query<{ workspace_id: string; status: string }>(
          `SELECT workspace_id::text, status FROM gateway.integrations WHERE provider = 'slack'`,
        )
      ).rows.map((r) => [r.workspace_id, r.status]),
    );
    const wrongState = workspaces.filter(
      (w) => w.slack && !w.busy && (slack.get(w.workspaceId) ?? 'disconnected') !== w.slack,
    ).length;
    return { acked: acked.length, missing, twice, missingByKind, missingSample, wrongState };
  } finally {
    await client.end().catch(() => undefined);
  }
}
