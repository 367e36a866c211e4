/** A dependency named by its variable could not be reached at start: one line, exit 1. */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'StartupError';
  }
}

/** `postgres://user:secret@host/db` -> `postgres://user:***@host/db`: URLs in errors hide passwords. */
export function redactUrl(raw: string): string {
  if (raw.includes(',')) return raw.split(',').map(redactUrl).join(',');
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
