import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment against a schema. The first bad variable becomes one `ConfigError` that
 * names it, so a service stops with one clear line instead of a stack trace deep in a driver.
 */
export function loadConfig<TShape extends z.ZodRawShape>(
  shape: TShape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<TShape>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  const given = env[variable];
  const problem =
    given === undefined || given === ''
      ? `is required (${issue.message})`
      : `is invalid: ${issue.message}`;
  throw new ConfigError(variable, problem);
}
