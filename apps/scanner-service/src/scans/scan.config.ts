import { z } from 'zod';
import { parseBaseline } from '../drift/baseline.js';
import { githubEnv } from '../github/github.config.js';

/** The scanner's variables: GitHub App, job queue, drift baseline. */
export const scanEnv = {
  ...githubEnv,
  /** A job whose replica stops keeping it alive for this long is given to another replica. */
  SCAN_JOB_ACK_WAIT_MS: z.coerce.number().int().min(500).default(30_000),
  SCAN_MAX_JOBS: z.coerce.number().int().min(1).max(64).default(4),
  SCAN_JOB_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(2_000),
  /** After this many failed deliveries, a scan is marked failed. */
  SCAN_JOB_MAX_DELIVERIES: z.coerce.number().int().min(1).default(5),
  /** Attempts per repository before it is recorded as a failed repository. */
  SCAN_REPO_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  /** JSON, any subset of the baseline (see drift/baseline.ts); validated at start. */
  SCAN_BASELINE: z
    .string()
    .optional()
    .refine(
      (raw) => {
        try {
          parseBaseline(raw);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'expected JSON matching the drift baseline (see drift/baseline.ts)' },
    ),
};

export type ScanConfig = z.infer<z.ZodObject<typeof scanEnv>>;
