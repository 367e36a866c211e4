import { createDataSource, migrate } from '#libs/database/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';
import { WorkspaceStore } from '../../apps/api-gateway/src/auth/index.js';
import { DEFAULT_DATABASE_URL } from '../stack/paths.js';

/**
 * The gateway's schema, straight from Postgres (DATABASE_URL, else the `npm start` database),
 * migrated first with the gateway's own migrations: the CLI works before the gateway ever ran.
 */
export async function withWorkspaceStore<T>(
  env: NodeJS.ProcessEnv,
  fn: (store: WorkspaceStore) => Promise<T>,
): Promise<T> {
  const dataSource = createDataSource({
    url: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    schema: apiGateway.schema,
    migrations: apiGateway.migrations,
    applicationName: 'admin-cli',
    poolSize: 2,
  });
  await dataSource.initialize();
  try {
    await migrate(dataSource, apiGateway.schema);
    return await fn(new WorkspaceStore(dataSource));
  } finally {
    await dataSource.destroy();
  }
}
