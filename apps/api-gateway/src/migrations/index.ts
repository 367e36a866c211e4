import type { MigrationClass } from '#libs/database/src/index.js';
import { Workspaces1764000000000 } from './1764000000000-workspaces.js';
import { Projections1764000001000 } from './1764000001000-projections.js';
import { Idempotency1764000010000 } from './1764000010000-idempotency.js';

/** The gateway's migrations in order; the service and the admin CLI both run them. */
export const gatewayMigrations: MigrationClass[] = [
  Workspaces1764000000000,
  Projections1764000001000,
  Idempotency1764000010000,
];
