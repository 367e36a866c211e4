import { randomBytes } from 'node:crypto';
import { AuthFailure } from './auth.js';

/**
 * GitHub's web flow for a GitHub App's user authorization, as GitHub documents it ("Generating a
 * user access token for a GitHub App"): an authorization (or an installation with "Request user
 * authorization during installation" ticked) hands the browser a one-time `code`, which the app
 * exchanges with its client id and secret at `POST /login/oauth/access_token` for a user token
 * (`ghu_...`) acting as that user. There is no browser here: who is signed in to GitHub is the
 * `login` query parameter of the page the user would have seen, or the org's installer.
 */
export class UserAuthorizations {
  readonly clientId: string;
  readonly clientSecret: string;
  private readonly codes = new Map<string, { login: string; expiresAt: number }>();
  private readonly tokens = new Map<string, string>();

  constructor(options: { clientId?: string; clientSecret?: string }) {
    this.clientId = options.clientId ?? `Iv1.${randomBytes(8).toString('hex')}`;
    this.clientSecret = options.clientSecret ?? randomBytes(20).toString('hex');
  }

  /** A code for `login`; GitHub's codes expire after ten minutes and work once. */
  issueCode(login: string): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { login, expiresAt: Date.now() + 10 * 60_000 });
    return code;
  }

  /**
   * The body GitHub answers to `POST /login/oauth/access_token`: 200 either way, with an `error`
   * field when the client or the code is wrong (GitHub's documented error codes).
   */
  exchange(params: Record<string, unknown>): Record<string, unknown> {
    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) {
      return oauthError(
        'incorrect_client_credentials',
        'The client_id and/or client_secret passed are incorrect.',
      );
    }
    const found = typeof params.code === 'string' ? this.codes.get(params.code) : undefined;
    if (!found || found.expiresAt <= Date.now()) {
      return oauthError('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    this.codes.delete(params.code as string);
    const token = `ghu_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, found.login);
    return { access_token: token, token_type: 'bearer', scope: '' };
  }

  /** The user behind `Authorization: Bearer|token ghu_...`, or GitHub's 401. */
  userOf(authorization: string | undefined): string {
    const match = /^(?:bearer|token)\s+(ghu_\S+)$/i.exec(authorization ?? '');
    const login = match ? this.tokens.get(match[1]!) : undefined;
    if (!login) throw new AuthFailure(401, 'Bad credentials');
    return login;
  }

  isUserToken(authorization: string | undefined): boolean {
    return /^(?:bearer|token)\s+ghu_/i.test(authorization ?? '');
  }
}

function oauthError(error: string, description: string): Record<string, unknown> {
  return {
    error,
    error_description: description,
    error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replace(/_/g, '-')}`,
  };
}

/** A form (`application/x-www-form-urlencoded`) or JSON body, as GitHub accepts both here. */
export function parseOauthBody(
  raw: string,
  contentType: string | undefined,
): Record<string, unknown> {
  if ((contentType ?? '').includes('application/json')) {
    try {
      const parsed = JSON.parse(raw || '{}') as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
