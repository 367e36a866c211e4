import { z } from 'zod';

/** GitHub App settings; the base URL points at GitHub Enterprise Server or the simulator alike. */
export const githubEnv = {
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'expected the numeric GitHub App id').optional(),
  GITHUB_APP_PRIVATE_KEY_PATH: z.string().min(1).optional(),
  /** The PEM itself (newlines may be written as `\n`), instead of a path. */
  GITHUB_APP_PRIVATE_KEY: z.string().min(1).optional(),
  /** Requests in flight per installation; GitHub asks for at most 100. */
  GITHUB_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(24),
  /** Base of the retry plugin's backoff for 5xx answers, (n+1)^2 * base ms. */
  GITHUB_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  GITHUB_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
};

export type GithubConfig = z.infer<z.ZodObject<typeof githubEnv>>;
