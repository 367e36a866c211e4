import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An opaque, tamper-evident cursor: `v1.<base64url(payload)>.<base64url(hmac)>`. The payload is the
 * keyset position of one row in one org's list: (created position, id). Signing keeps clients from
 * forging positions into another org's list or into rows they never saw; binding the org makes a
 * cursor from one org worthless in another.
 */
export interface CursorKey {
  orgId: string;
  /** The integration's created position in the gateway's read model (a bigint as a string). */
  position: string;
  id: string;
}

const PREFIX = 'v1';
const MAC_BYTES = 16;

export function encodeCursor(key: CursorKey, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ o: key.orgId, p: key.position, i: key.id }));
  const body = payload.toString('base64url');
  return `${PREFIX}.${body}.${mac(body, secret).toString('base64url')}`;
}

/** The key, or undefined for anything that is not a cursor this API signed. */
export function decodeCursor(cursor: string, secret: Buffer): CursorKey | undefined {
  const parts = cursor.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const [, body, signature] = parts;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(body, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const { o, p, i } = payload;
    if (typeof o !== 'string' || typeof p !== 'string' || typeof i !== 'string') return undefined;
    if (!/^\d+$/.test(p)) return undefined;
    return { orgId: o, position: p, id: i };
  } catch {
    return undefined;
  }
}

function mac(body: string, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${PREFIX}.${body}`).digest().subarray(0, MAC_BYTES);
}
