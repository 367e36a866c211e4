import { randomUUID } from 'node:crypto';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import type { PolicyBreakerEvent } from '#libs/contracts/src/index.js';
import { withHeldClient } from '#libs/database/src/index.js';
import {
  sql,
  type Decided,
  type EventStore,
  type NewEvent,
  type Sql,
} from '#libs/event-store/src/index.js';
import { watchBreakers, type OpenBreaker } from '#libs/observability/src/metrics/rules.js';
import {
  breakerOf,
  DEFAULT_BREAKER,
  type Breaker,
  type BreakerCommand,
  type BreakerPolicy,
  type BreakerState,
} from './breaker.js';

export const BREAKER_STORE = Symbol('BREAKER_STORE');

/** Most open breakers the gauge shows: one series each, so the policy label stays bounded. */
const MOST_REPORTED = 100;

/**
 * Breaker state per policy (`rules.breakers`), changed under a row lock so replicas count every
 * evaluation; the state changes (`PolicyBreakerOpened`, `PolicyBreakerClosed`) are events of the
 * stream `breaker-<policy id>` in the engine's log, so a policy's breaker history reads back.
 */
export class BreakerStore implements OnModuleInit, OnModuleDestroy {
  private unwatch: (() => void) | undefined;
  private readonly breaker: Breaker;

  constructor(
    private readonly pool: pg.Pool,
    private readonly events: EventStore,
    policy: BreakerPolicy = DEFAULT_BREAKER,
  ) {
    this.breaker = breakerOf(policy);
  }

  /** `policy_circuit_breaker_state` reads the open breakers from here at scrape time. */
  onModuleInit(): void {
    this.unwatch ??= watchBreakers(() => this.openBreakers());
  }

  onModuleDestroy(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /**
   * Breakers open at `now`, as stored by whichever replica opened them (one statement, at most
   * MOST_REPORTED rows). One whose `openUntil` has passed is closed: the next check says so.
   */
  async openBreakers(now = new Date()): Promise<OpenBreaker[]> {
    const { rows } = await this.pool.query<OpenBreaker>(
      `SELECT policy_id::text AS policy, state->>'openUntil' AS "openUntil" FROM rules.breakers
       WHERE (state->>'openUntil')::timestamptz > $1
       ORDER BY (state->>'openUntil')::timestamptz DESC LIMIT $2`,
      [now.toISOString(), MOST_REPORTED],
    );
    return rows;
  }

  /**
   * Counting an evaluation on the state `checked` as a statement to run with another write (the
   * run's finish): it writes only if the state is still `checked`, returning a row when it did.
   * Null when the count opens the breaker (that takes the row's lock: `decide`).
   */
  countWrite(policyId: string, checked: BreakerState, command: BreakerCommand): Sql | null {
    const decided = this.decideOn(checked, command);
    return decided.length === 0 ? null : (this.counted(policyId, checked, decided)?.write ?? null);
  }

  /** What the breaker decides on `state` (it refuses nothing; a refusal would throw). */
  private decideOn(state: BreakerState, command: BreakerCommand): Decided<PolicyBreakerEvent>[] {
    const decision = this.breaker.decide(command, state, command.now);
    if (!decision.ok) throw new Error(decision.error.message);
    return decision.events;
  }

  /**
   * What `decided` (on `state`) writes when it only counts: the next state, and the statement
   * that writes it if the row is still `state` (a row back when it did). Null for a transition.
   */
  private counted(
    policyId: string,
    state: BreakerState,
    decided: Decided<PolicyBreakerEvent>[],
  ): { next: BreakerState; write: Sql } | null {
    if (decided.some((e) => e.type !== 'PolicyEvaluationCounted')) return null;
    const next = decided.reduce((s, e) => this.breaker.evolve(s, e), state);
    const write = sql`INSERT INTO rules.breakers AS b (policy_id, state)
      VALUES (${policyId}, ${JSON.stringify(next)}::jsonb)
      ON CONFLICT (policy_id) DO UPDATE SET state = EXCLUDED.state
        WHERE b.state = ${JSON.stringify(state)}::jsonb
      RETURNING 1`;
    return { next, write };
  }

  /**
   * Checks a policy's breaker, or counts an evaluation. A count that neither opens nor closes the
   * breaker (nearly all of them) is a read and one statement that writes only if the state is
   * still what was read, tried a few times; a transition, or a policy counted by many replicas at
   * once, takes the row's lock instead.
   */
  async decide(
    policyId: string,
    workspaceId: string,
    command: BreakerCommand,
    /** The state as the caller just read it (a run reads it with itself), for the first try. */
    read?: BreakerState,
  ): Promise<BreakerState> {
    for (let attempt = 0; attempt < (command.kind === 'count' ? 3 : 1); attempt++) {
      const state =
        attempt === 0 && read
          ? read
          : ((
              await this.pool.query<{ state: BreakerState }>(
                'SELECT state FROM rules.breakers WHERE policy_id = $1',
                [policyId],
              )
            ).rows[0]?.state ?? this.breaker.initialState(policyId));
      const decided = this.decideOn(state, command);
      if (decided.length === 0) return state;
      const counted = this.counted(policyId, state, decided);
      if (!counted) break;
      const { rowCount } = await this.pool.query(counted.write.text, counted.write.values);
      if (rowCount === 1) return counted.next;
    }
    // The breaker's row is locked while it opens or closes: a transaction on a held connection.
    return withHeldClient(this.pool, async (client) => {
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO rules.breakers (policy_id, state) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
          [policyId, JSON.stringify(this.breaker.initialState(policyId))],
        );
        const { rows } = await client.query<{ state: BreakerState }>(
          'SELECT state FROM rules.breakers WHERE policy_id = $1 FOR UPDATE',
          [policyId],
        );
        const state = rows[0]!.state;
        const decided = this.decideOn(state, command);
        // Openings and closings are the breaker's stream; counts live in its row alone.
        const transitions: NewEvent[] = decided
          .filter((e) => e.type !== 'PolicyEvaluationCounted')
          .map((e) => ({
            id: randomUUID(),
            type: e.type,
            schemaVersion: 1,
            data: { policyId, ...e.data },
            metadata: {
              workspaceId,
              correlationId: randomUUID(),
              causationId: null,
              actor: 'rules-engine',
            },
            occurredAt: command.now,
          }));
        if (transitions.length > 0) {
          await this.events.append(`breaker-${policyId}`, state.version, transitions, client);
        }
        const next = decided.reduce((s, e) => this.breaker.evolve(s, e), state);
        await client.query('UPDATE rules.breakers SET state = $2 WHERE policy_id = $1', [
          policyId,
          JSON.stringify(next),
        ]);
        await client.query('COMMIT');
        return next;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }
}
