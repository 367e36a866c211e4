import { addMember, createWorkspace } from './admin/workspace-commands.js';
import { runAdmin } from './admin/run-admin.js';
import type { AdminCommand } from './admin/command.js';
import { deadLetters } from './admin/dead-letters.js';
import { keysRotate } from './admin/keys-rotate.js';
import { webhooksStats } from './admin/webhooks-stats.js';
import { eventsSetAside } from './admin/events-set-aside.js';

/**
 * `npm run admin -- <command> ...`: operations from a shell, straight against Postgres. Each
 * subcommand lives in `scripts/admin/`; add one by importing it and listing it here.
 */
const COMMANDS: AdminCommand[] = [
  createWorkspace,
  addMember,
  // one line per further command
  keysRotate,
  deadLetters,
  webhooksStats,
  eventsSetAside,
];

process.exitCode = await runAdmin(COMMANDS, process.argv.slice(2), {
  env: process.env,
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
