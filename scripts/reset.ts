import { rmSync } from 'node:fs';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Streams } from '#libs/contracts/src/index.js';
import { DATA_DIR, DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from './stack/paths.js';

/**
 * `npm run reset`: the local stack's data goes: the `.data/` folder, the stack's database, and its
 * JetStream streams on a NATS that was already running.
 */
async function dropDatabase(url: string) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: target.toString(),
    connectionTimeoutMillis: 1_500,
  });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    console.log(`dropped database ${name}`);
  } finally {
    await client.end();
  }
}

async function deleteStreams(url: string) {
  const nc = await connect({ servers: url, timeout: 1_500, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const stream of Object.values(Streams)) {
      await jsm.streams.delete(stream.name).then(
        () => console.log(`deleted stream ${stream.name}`),
        () => undefined,
      );
    }
  } finally {
    await nc.close();
  }
}

const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const natsUrl = process.env.NATS_URL ?? DEFAULT_NATS_URL;
await dropDatabase(databaseUrl).catch((e: Error) =>
  console.log(`database not reset: ${e.message}`),
);
await deleteStreams(natsUrl).catch((e: Error) => console.log(`streams not reset: ${e.message}`));
rmSync(DATA_DIR, { recursive: true, force: true });
console.log(`removed ${DATA_DIR}`);
