import { z } from 'zod';

const positiveInt = (field: string) =>
  z.coerce
    .number({ message: `${field} must be a number` })
    .int(`${field} must be a whole number`)
    .min(1, `${field} must be at least 1`);

/**
 * `?page&per_page&search` of `:provider/repos` (the TinyOps Integrations API). `per_page` above 100 is capped at
 * 100, as GitHub does; not a number or below 1 is a 400 naming the field.
 */
export const ReposQuery = z.object({
  page: positiveInt('page').default(1),
  per_page: positiveInt('per_page')
    .default(30)
    .transform((n) => Math.min(n, 100)),
  search: z.string().trim().max(200).optional(),
});
export type ReposQuery = z.infer<typeof ReposQuery>;
