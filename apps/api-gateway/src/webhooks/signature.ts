import { Webhooks } from '@octokit/webhooks';

/**
 * Checks `X-Hub-Signature-256` against the current secret and, during a rotation, the previous
 * one, with @octokit/webhooks (constant-time comparison).
 */
export class SignatureVerifier {
  private readonly verifiers: Webhooks[];

  constructor(secrets: ReadonlyArray<string | undefined>) {
    this.verifiers = secrets
      .filter((s): s is string => typeof s === 'string' && s.length > 0)
      .map((secret) => new Webhooks({ secret }));
  }

  get configured(): boolean {
    return this.verifiers.length > 0;
  }

  /**
   * `rawBody` is the body exactly as received. GitHub signs the bytes it sends, which are UTF-8
   * JSON; the library takes a string, and a UTF-8 round trip of such bytes is exact (a body that
   * is not valid UTF-8 changes in decoding and so fails, as it should).
   */
  async verify(rawBody: Buffer, signature: string | undefined): Promise<boolean> {
    if (!signature || !signature.startsWith('sha256=') || rawBody.length === 0) return false;
    const payload = rawBody.toString('utf8');
    for (const verifier of this.verifiers) {
      if (await verifier.verify(payload, signature).catch(() => false)) return true;
    }
    return false;
  }
}
