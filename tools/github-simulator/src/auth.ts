import { createPublicKey, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { components } from '@octokit/openapi-types';

type AppPermissions = components['schemas']['app-permissions'];

/** Why GitHub turned a request away, in GitHub's own words. */
export class AuthFailure extends Error {
  constructor(
    readonly status: 401 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

export interface AppKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateAppKeys(): AppKeys {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function publicKeyOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * Checks an app JWT the way GitHub does: RS256 signed by the app's key, `iss` the app id, issued
 * no later than now (60 s clock drift allowed) and expiring within ten minutes.
 */
export function verifyAppJwt(token: string, appId: number, publicKeyPem: string): void {
  const parts = token.split('.');
  if (parts.length !== 3) throw new AuthFailure(401, 'A JSON web token could not be decoded');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string };
  let payload: { iss?: string | number; iat?: number; exp?: number };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    throw new AuthFailure(401, 'A JSON web token could not be decoded');
  }
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${headerPart}.${payloadPart}`);
  if (
    header.alg !== 'RS256' ||
    !verifier.verify(publicKeyPem, Buffer.from(signaturePart, 'base64url'))
  ) {
    throw new AuthFailure(401, 'A JSON web token could not be decoded');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number' || payload.exp <= now) {
    throw new AuthFailure(
      401,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    );
  }
  if (typeof payload.iat !== 'number' || payload.iat > now + 60) {
    throw new AuthFailure(
      401,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    );
  }
  if (payload.exp - payload.iat > 600 + 60) {
    throw new AuthFailure(401, "'Expiration time' claim ('exp') is too far in the future");
  }
  if (String(payload.iss) !== String(appId)) {
    throw new AuthFailure(401, 'Integration not found');
  }
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
  permissions: AppPermissions;
}

/** Installation access tokens minted from an app JWT; each lives for `ttlMs` (GitHub: 1 h). */
export class TokenIssuer {
  private readonly tokens = new Map<string, InstallationToken>();

  constructor(private readonly ttlMs: number) {}

  issue(installationId: number, permissions: AppPermissions): InstallationToken {
    const token: InstallationToken = {
      token: `ghs_${randomBytes(18).toString('base64url')}`,
      installationId,
      expiresAt: Date.now() + this.ttlMs,
      permissions: { ...permissions },
    };
    this.tokens.set(token.token, token);
    return token;
  }

  /** The token behind `Authorization: Bearer|token <t>`, or GitHub's 401. */
  authenticate(authorization: string | undefined): InstallationToken {
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(authorization ?? '');
    const found = match ? this.tokens.get(match[1]!) : undefined;
    if (!found || found.expiresAt <= Date.now()) {
      if (found) this.tokens.delete(found.token);
      throw new AuthFailure(401, 'Bad credentials');
    }
    return found;
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}
