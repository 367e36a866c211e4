/** One `npm run admin -- <name> ...` subcommand. */
export interface AdminCommand {
  name: string;
  /** One line: arguments and options, shown by `npm run admin -- help`. */
  usage: string;
  /** Returns what is printed as one JSON line on stdout; throws to fail. */
  run(args: string[], env: NodeJS.ProcessEnv): Promise<unknown>;
}

/** A mistake in how the command was called: usage is printed, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
