import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '#libs/database/src/index.js';
import { PostgresFixture } from '#libs/testing/src/index.js';
import { apiGateway } from '../../apps/api-gateway/src/service.js';

/**
 * A fresh database with the gateway's schema migrated, for specs that work on its tables without
 * running the gateway; `dispose` drops it.
 */
export async function gatewaySchema(
  name: string,
): Promise<{ dataSource: DataSource; dispose(): Promise<void> }> {
  const db = await PostgresFixture.create(name);
  const dataSource = createDataSource({
    url: db.url,
    schema: 'gateway',
    migrations: apiGateway.migrations,
    applicationName: `${name}-test`,
  });
  await dataSource.initialize();
  await migrate(dataSource, 'gateway');
  return {
    dataSource,
    async dispose() {
      await dataSource.destroy();
      await db.dispose();
    },
  };
}
