import pg from 'pg';

/** Names of the event store's relations inside a service's own schema. */
export interface EventStoreTables {
  schema: string;
  events: string;
  positions: string;
  checkpoints: string;
  setAside: string;
}

export function eventStoreTables(schema: string): EventStoreTables {
  const s = pg.escapeIdentifier(schema);
  return {
    schema,
    events: `${s}.events`,
    positions: `${s}.events_position_seq`,
    checkpoints: `${s}.event_publisher_checkpoints`,
    setAside: `${s}.event_publisher_set_aside`,
  };
}

/**
 * The log: one append-only table. `(stream_id, stream_version)` is unique, which is the optimistic
 * concurrency check; `tx_id` records the writing transaction for the publisher's gap handling;
 * `sealed` holds data that is never published. A trigger refuses UPDATE, DELETE and TRUNCATE.
 */
export function eventStoreSchemaSql(schema: string): string[] {
  const t = eventStoreTables(schema);
  const s = pg.escapeIdentifier(schema);
  return [
    `CREATE SEQUENCE ${t.positions} AS bigint`,
    `CREATE TABLE ${t.events} (
      position bigint PRIMARY KEY DEFAULT nextval('${t.positions}'),
      tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
      stream_id text NOT NULL,
      stream_version integer NOT NULL CHECK (stream_version > 0),
      event_id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      schema_version integer NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      sealed jsonb,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
    )`,
    `ALTER SEQUENCE ${t.positions} OWNED BY ${t.events}.position`,
    `CREATE FUNCTION ${s}.events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP; END $$`,
    `CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${t.events}
      FOR EACH ROW EXECUTE FUNCTION ${s}.events_are_append_only()`,
    `CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON ${t.events}
      FOR EACH STATEMENT EXECUTE FUNCTION ${s}.events_are_append_only()`,
    `CREATE TABLE ${t.checkpoints} (
      name text PRIMARY KEY,
      position bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    ...eventStoreSetAsideSql(schema),
  ];
}

/**
 * Events a publisher could not put on the bus (too large for it) and stepped past, so one event
 * never holds back every consumer: listed by `npm run admin -- events:set-aside`. Idempotent,
 * so a publisher creates it when it takes the lead in a log made before it existed.
 */
export function eventStoreSetAsideSql(schema: string): string[] {
  const t = eventStoreTables(schema);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.setAside} (
      publisher text NOT NULL,
      position bigint NOT NULL,
      event_id uuid NOT NULL,
      stream_id text NOT NULL,
      type text NOT NULL,
      workspace_id text,
      bytes integer NOT NULL,
      reason text NOT NULL,
      set_aside_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (publisher, position)
    )`,
  ];
}
