import type { DataSource } from 'typeorm';
import { createDataSource } from '#libs/database/src/index.js';
import { WorkspaceStore } from '../../apps/api-gateway/src/auth/workspace-store.js';

/** A connection to the gateway's schema, as the admin CLI opens it (no migrations of its own). */
export async function openGatewayDataSource(
  url: string,
  applicationName: string,
): Promise<DataSource> {
  const dataSource = createDataSource({ url, schema: 'gateway', migrations: [], applicationName });
  await dataSource.initialize();
  return dataSource;
}

/** Runs `work` with the gateway's workspace store (workspaces and keys), then closes the connection. */
export async function withWorkspaceStore<T>(
  url: string,
  applicationName: string,
  work: (store: WorkspaceStore) => Promise<T>,
): Promise<T> {
  const dataSource = await openGatewayDataSource(url, applicationName);
  try {
    return await work(new WorkspaceStore(dataSource));
  } finally {
    await dataSource.destroy();
  }
}
