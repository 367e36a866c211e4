import type { z } from 'zod';
import { fail, type FieldIssue, type Failure } from '#libs/contracts/src/index.js';

/** A command's payload after parsing, or the validation error to answer. */
export type Parsed<T> = { ok: true; value: T } | Failure;

/** `payload` parsed by `schema`; a missing payload parses as `{}`. */
export function parse<S extends z.ZodType>(schema: S, payload: unknown): Parsed<z.infer<S>> {
  const parsed = schema.safeParse(payload ?? {});
  return parsed.success
    ? { ok: true, value: parsed.data }
    : fail(
        'validation',
        'invalid_request',
        'the request is invalid',
        fieldIssues(parsed.error.issues, ''),
      );
}

/** Zod issues as the reply's field list, `prefix` first; each unknown key is its own entry. */
export function fieldIssues(
  issues: readonly { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[],
  prefix: string,
): FieldIssue[] {
  return issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        message: 'unknown field',
      }));
    }
    return [{ field: path.join('.'), message: issue.message }];
  });
}
