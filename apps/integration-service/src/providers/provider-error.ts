/**
 * A provider call that failed at the provider (an HTTP error, a refusal, a timeout): answered as
 * `provider_error`, with the provider's status or error code, never with credentials.
 */
export class ProviderCallError extends Error {
  constructor(
    message: string,
    readonly detail: { status?: number; code?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ProviderCallError';
  }
}

/** A target or params the provider cannot be asked about (no pull request for a PR check...). */
export class ProviderTargetError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderTargetError';
  }
}

export function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
