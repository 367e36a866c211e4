import { z } from 'zod';
import { base64Key32 } from '#libs/config/src/index.js';

/** The REST API's variables. */
export const restEnv = {
  /** How long a rendered list page may be served from memory at most; 0 turns the cache off. */
  REST_LIST_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
  /**
   * 32 bytes, base64, the same on every gateway replica: what the cursor key derives from.
   * Required: no default key exists, and none is stored.
   */
  GATEWAY_SIGNING_KEY: base64Key32,
};

export type RestConfig = z.infer<z.ZodObject<typeof restEnv>>;
