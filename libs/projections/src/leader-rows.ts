import type { Db } from './projection.js';

/** See `LeaderRows.recall`. */
export interface Recalled<Row> {
  rows: Map<string, Row>;
  missing: string[];
}

/**
 * The rows a projection read and wrote while it leads, so that its next batches over the same
 * ids read nothing: one round trip per batch instead of two.
 *
 * Only the leading replica writes a projection's rows, and it leads for as long as the session
 * that holds its lock lasts; the runner gives each lead's applies that session as their `Db`. So
 * while the `Db` is the same, what this remembers is what is stored, and a new `Db` (a new lead,
 * here or after another replica led) starts from nothing. A batch that fails writes nothing, and
 * what was read before it is still what is stored. `null` remembers a row known to be absent.
 * Bounded: the ids used least recently are forgotten first.
 */
export class LeaderRows<Row> {
  private db: Db | undefined;
  private readonly rows = new Map<string, Row | null>();

  constructor(private readonly capacity = 10_000) {}

  /** What this lead knows of `ids`: their rows, and the ids it must read (`learn` them after). */
  recall(db: Db, ids: Iterable<string>): Recalled<Row> {
    if (db !== this.db) {
      this.db = db;
      this.rows.clear();
    }
    const recalled: Recalled<Row> = { rows: new Map(), missing: [] };
    for (const id of new Set(ids)) {
      if (!this.rows.has(id)) {
        recalled.missing.push(id);
        continue;
      }
      const row = this.remember(id, this.rows.get(id)!);
      if (row !== null) recalled.rows.set(id, row);
    }
    return recalled;
  }

  /** The stored rows of the ids `recalled` missed (an id `loaded` lacks has no row). */
  learn(recalled: Recalled<Row>, loaded: Map<string, Row>): void {
    for (const id of recalled.missing) {
      const row = this.remember(id, loaded.get(id) ?? null);
      if (row !== null) recalled.rows.set(id, row);
    }
  }

  /** After the statement that wrote them committed on `db`: the rows as they are stored now. */
  wrote(db: Db, saved: Iterable<[string, Row]>, deleted: Iterable<string>): void {
    if (db !== this.db) return;
    for (const [id, row] of saved) this.remember(id, row);
    for (const id of deleted) this.remember(id, null);
  }

  /** Stores `row` as the most recently used, forgetting the least recently used past capacity. */
  private remember(id: string, row: Row | null): Row | null {
    this.rows.delete(id);
    this.rows.set(id, row);
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
    return row;
  }
}
