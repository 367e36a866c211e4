import { z } from 'zod';

/**
 * The GitHub App's install flow. Without `GITHUB_APP_SLUG`, `GITHUB_APP_CLIENT_ID` and
 * `GITHUB_APP_CLIENT_SECRET` the flow answers 503: nothing can prove an installation then.
 */
export const githubInstallEnv = {
  /** Where the App's REST API lives (Enterprise: `https://HOST/api/v3`; the simulator's URL). */
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** Where users install the App (`https://github.com`; Enterprise: `https://HOST`). */
  GITHUB_WEB_URL: z.url().default('https://github.com'),
  GITHUB_APP_SLUG: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'expected the App slug')
    .optional(),
  GITHUB_APP_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_APP_CLIENT_SECRET: z.string().min(1).optional(),
  /** How long the `state` of an install URL is accepted. */
  GITHUB_INSTALL_STATE_TTL_SECONDS: z.coerce.number().int().positive().default(600),
};

export type GithubInstallConfig = z.infer<z.ZodObject<typeof githubInstallEnv>>;
