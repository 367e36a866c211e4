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
  const add = (path: PropertyKey[], message: string) => {
    const field = path.length > 0 ? path.map(String).join('.') : where;
    if (seen.has(field)) return;
    seen.add(field);
    issues.push({ field, message });
  };
  for (const issue of result.error.issues) {
    // An unknown key is named as the field it is, not as the object around it.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key], 'unknown field');
    } else add(issue.path, issue.message);
  }
  throw ApiError.validation(issues, `invalid ${where}: ${issues.map((i) => i.field).join(', ')}`);
}
