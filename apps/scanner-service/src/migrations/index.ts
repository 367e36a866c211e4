import type { MigrationClass } from '#libs/database/src/index.js';
import { Scanner1764100000000 } from './1764100000000-scanner.js';
import { InstallationsPerIntegration1764100007000 } from './1764100007000-installations-per-integration.js';
import { FindingLifecycle1764100008000 } from './1764100008000-finding-lifecycle.js';

/** The scanner's migrations in order; add new ones at the end. */
export const scannerMigrations: MigrationClass[] = [
  Scanner1764100000000,
  InstallationsPerIntegration1764100007000,
  FindingLifecycle1764100008000,
];
