import pg from 'pg';
import { commonEnv, loadConfig } from '#libs/config/src/index.js';
import { createDataSource, migrate } from '#libs/database/src/index.js';
import { integrationServiceEnv } from '../../apps/integration-service/src/config.js';
import {
  CredentialVault,
  DATA_KEYS_TABLE,
} from '../../apps/integration-service/src/credentials/credential-vault.js';
import { MasterKeyring } from '../../apps/integration-service/src/credentials/master-keyring.js';
import { integrationService } from '../../apps/integration-service/src/service.js';
import type { AdminCommand } from './command.js';
import { DEFAULT_DATABASE_URL } from '../stack/paths.js';

const BATCH = 100;

/**
 * `keys:rotate`: re-wraps every integration's data key with the current master key (the first of
 * CREDENTIALS_MASTER_KEYS), batch by batch, while the services run. Give every integration
 * service the new ring first (new key first, old after it), run this, then drop the old key.
 */
export const keysRotate: AdminCommand = {
  name: 'keys:rotate',
  usage:
    'keys:rotate   re-wrap every data key with the first key of CREDENTIALS_MASTER_KEYS (DATABASE_URL)',
  async run(_args, env) {
    const config = loadConfig(
      {
        DATABASE_URL: commonEnv.DATABASE_URL,
        CREDENTIALS_MASTER_KEY: integrationServiceEnv.CREDENTIALS_MASTER_KEY,
        CREDENTIALS_MASTER_KEYS: integrationServiceEnv.CREDENTIALS_MASTER_KEYS,
      },
      { ...env, DATABASE_URL: env.DATABASE_URL || DEFAULT_DATABASE_URL },
    );
    const ring = MasterKeyring.fromConfig(config);
    await migrateIntegrationSchema(config.DATABASE_URL);
    const vault = new CredentialVault(ring, DATA_KEYS_TABLE);
    const pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      max: 1,
      application_name: 'admin-cli',
    });
    try {
      let rewrapped = 0;
      for (;;) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const count = await vault.rewrapBatch(client, BATCH);
          await client.query('COMMIT');
          rewrapped += count;
          if (count === 0) break;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      }
      return {
        currentKeyId: ring.current.id,
        rewrapped,
        dataKeysByKeyId: await vault.keyIds(pool),
      };
    } finally {
      await pool.end();
    }
  },
};

/** The integration schema at this version (key ids included), even before the service ran. */
async function migrateIntegrationSchema(url: string): Promise<void> {
  const dataSource = createDataSource({
    url,
    schema: integrationService.schema,
    migrations: integrationService.migrations,
    applicationName: 'admin-cli',
    poolSize: 2,
  });
  await dataSource.initialize();
  try {
    await migrate(dataSource, integrationService.schema);
  } finally {
    await dataSource.destroy();
  }
}
