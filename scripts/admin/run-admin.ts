import { UsageError, type AdminCommand } from './command.js';

export interface AdminIo {
  env: NodeJS.ProcessEnv;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/**
 * Runs one subcommand: its result as one JSON line on stdout, exit 0; a refused operation as
 * `{"error": {...}}` on stderr, exit 1; a usage mistake with the usage on stderr, exit 2.
 */
export async function runAdmin(
  commands: readonly AdminCommand[],
  argv: string[],
  io: AdminIo,
): Promise<number> {
  const [name, ...args] = argv;
  const usage = () =>
    ['usage: npm run admin -- <command>', ...commands.map((c) => `  ${c.usage}`)].join('\n');
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(name && name !== 'help' ? `unknown command ${name}\n${usage()}` : usage());
    return name && name !== 'help' ? 2 : 0;
  }
  try {
    io.stdout(JSON.stringify(await command.run(args, io.env)));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${command.name}: ${error.message}\nusage: npm run admin -- ${command.usage}`);
      return 2;
    }
    const e = error as { code?: string; kind?: string; details?: unknown; message?: string };
    io.stderr(
      JSON.stringify({
        error: {
          code: e.kind ? e.code : 'failed',
          message: e.message ?? String(error),
          ...(e.details === undefined ? {} : { details: e.details }),
        },
      }),
    );
    return 1;
  }
}
