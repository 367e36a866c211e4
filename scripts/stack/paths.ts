import { resolve } from 'node:path';

/** Everything `npm start` keeps lives here; `npm run reset` removes it. */
export const DATA_DIR = resolve(process.env.DATA_DIR ?? '.data');

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** Its own database on the local server, so `npm run reset` can drop it whole. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/integrations';
