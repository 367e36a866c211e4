import { createHash } from 'node:crypto';
import pg from 'pg';

/** Prepared statements one connection keeps at most; past them, new texts run unprepared. */
export const MAX_PREPARED_PER_CONNECTION = 100;
/**
 * Longer texts run unprepared: a statement built for a batch (a projection's rows) is long, rarely
 * the same twice, and its parse tree would stay in the session.
 */
export const MAX_PREPARED_TEXT = 8_192;
/** Each text's statement name, or null for a text that runs unprepared (STAR), decided once. */
const names = new Map<string, string | null>();
/**
 * Columns by `*`: a migration that adds a column while this replica runs would change such a
 * statement's result type, which a prepared plan refuses ("cached plan must not change result
 * type"). These run unprepared.
 */
const STAR = /\bselect\s+(?:distinct\s+)?(?:\w+\.)?\*|\breturning\s+(?:\w+\.)?\*/i;
/** Postgres' refusal of a prepared plan whose result type changed (a column's type, say). */
const RESULT_TYPE_CHANGED = 'cached plan must not change result type';

function nameOf(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    // Texts with parameters are few (the code's statements); a flood of new ones starts afresh.
    if (names.size >= 10_000) names.clear();
    name = STAR.test(text) ? null : `p${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

/**
 * The pg Client of every pool here (`new pg.Pool({ Client: PreparingClient })`, and TypeORM's
 * through `extra`): a statement with parameters runs as a prepared statement named after its
 * text, so Postgres parses and plans it once per connection, not on every call. A statement and a
 * read of the rules engine's run cost Postgres 700 µs of CPU unprepared and 445 µs prepared, and
 * Postgres is the busiest process of `npm run bench:rules`. Statements without parameters (DDL,
 * `BEGIN`, several statements in one text) run as before, and so do long texts; a connection
 * prepares at most MAX_PREPARED_PER_CONNECTION texts (statements built for a batch differ by
 * their row count). Statements that select or return `*` run unprepared too (STAR), and a text
 * whose prepared plan Postgres refuses after a migration fails once, then runs unprepared.
 * Not for a transaction-pooling proxy in front of Postgres, which does not keep them.
 */
export class PreparingClient extends pg.Client {
  private readonly prepared = new Set<string>();
  /** Texts whose prepared plan Postgres refused since: they run unprepared on this connection. */
  private readonly refused = new Set<string>();

  override query(...args: unknown[]): never {
    const [config, values, callback] = args;
    if (
      typeof config === 'string' &&
      config.length <= MAX_PREPARED_TEXT &&
      Array.isArray(values) &&
      values.length > 0
    ) {
      const name = nameOf(config);
      if (
        name !== null &&
        !this.refused.has(name) &&
        (this.prepared.has(name) || this.prepared.size < MAX_PREPARED_PER_CONNECTION)
      ) {
        this.prepared.add(name);
        const query = { name, text: config, values };
        // The refused call fails once (it may be inside a transaction, which it aborted).
        const note = (error: unknown) => {
          if ((error as Error | null)?.message?.includes(RESULT_TYPE_CHANGED))
            this.refused.add(name);
        };
        if (typeof callback === 'function') {
          return super.query(query, (error: Error | null, result: pg.QueryResult) => {
            note(error);
            (callback as (e: Error | null, r: pg.QueryResult) => void)(error, result);
          }) as never;
        }
        return super.query(query).catch((error: unknown) => {
          note(error);
          throw error;
        }) as never;
      }
    }
    return (super.query as (...a: unknown[]) => unknown)(...args) as never;
  }
}
