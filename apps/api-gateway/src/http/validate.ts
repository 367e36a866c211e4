import type { z } from 'zod';
import { ApiError } from '../errors/api-error.js';

/**
 * Parses a body or query with a zod schema; on failure a 400 with one detail per field
 * (`field` is the dotted path, `body` or `query` when the whole value is wrong).
 */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'body' | 'query' = 'body',
): z.infer<T> {
  const result = schema.safeParse(value ?? (where === 'query' ? {} : undefined));
  if (result.success) return result.data;
  const seen = new Set<string>();
  const issues: { field: string; message: string }[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : where;
    if (seen.has(field)) continue;
    seen.add(field);
    issues.push({ field, message: issue.message });
  }
  throw ApiError.validation(issues, `invalid ${where}: ${issues.map((i) => i.field).join(', ')}`);
}
