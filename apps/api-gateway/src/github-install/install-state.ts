import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who started an install flow, and (after an authorization detour) which installation. */
export interface InstallState {
  workspaceId: string;
  memberId: string;
  installationId?: string;
  expiresAt: number;
}

export type StateCheck =
  { ok: true; state: InstallState } | { ok: false; reason: 'forged' | 'expired' };

/**
 * The `state` of an install URL: the workspace and member that asked for it and an expiry,
 * signed with HMAC-SHA256. GitHub hands it back unchanged on the setup URL, where it is the only
 * proof of who is installing. The key derives from the App's client secret (configuration every
 * gateway replica has), so no key is stored.
 */
export class InstallStateSigner {
  private readonly key: Buffer;

  constructor(clientSecret: string) {
    this.key = Buffer.from(
      hkdfSync('sha256', clientSecret, Buffer.alloc(0), 'github-install-state', 32),
    );
  }

  sign(state: InstallState): string {
    const body = Buffer.from(
      JSON.stringify({
        w: state.workspaceId,
        m: state.memberId,
        ...(state.installationId ? { i: state.installationId } : {}),
        e: state.expiresAt,
        n: randomBytes(8).toString('base64url'),
      }),
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string, now = Date.now()): StateCheck {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return { ok: false, reason: 'forged' };
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'forged' };
    }
    let claims: { w?: unknown; m?: unknown; i?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'forged' };
    }
    if (
      typeof claims.w !== 'string' ||
      typeof claims.m !== 'string' ||
      typeof claims.e !== 'number'
    ) {
      return { ok: false, reason: 'forged' };
    }
    if (claims.e <= now) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      state: {
        workspaceId: claims.w,
        memberId: claims.m,
        ...(typeof claims.i === 'string' ? { installationId: claims.i } : {}),
        expiresAt: claims.e,
      },
    };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
