import { z } from 'zod';

/** The REST API's variables. */
export const restEnv = {
  /** How long a rendered list page may be served from memory at most; 0 turns the cache off. */
  REST_LIST_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
};

export type RestConfig = z.infer<z.ZodObject<typeof restEnv>>;
