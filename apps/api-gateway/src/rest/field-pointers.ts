import { ApiError } from '../errors/api-error.js';

/**
 * The service names fields in its command's terms (`config.installationId`, `settings.x`); point
 * them at this endpoint's document instead: `rename` maps a field name to the client's.
 */
export function pointAt(rename: (field: string) => string) {
  return (error: unknown): never => {
    if (error instanceof ApiError && Array.isArray(error.details)) {
      throw new ApiError(
        error.kind,
        error.code,
        error.message,
        error.details.map((d) => ({ ...d, field: rename(d.field) })),
        error.retryAfterSeconds,
      );
    }
    throw error;
  };
}

export const withoutPrefix = (prefix: string) => (field: string) =>
  field.startsWith(prefix) ? field.slice(prefix.length) : field;
