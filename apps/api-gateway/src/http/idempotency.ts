import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { ApiError } from '../errors/api-error.js';

export interface IdempotentAnswer<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * `Idempotency-Key` for the POSTs the gateway answers itself (the others carry the key to the
 * owning service, which replays its first reply). The key is claimed before acting, so two
 * concurrent requests with one key never both act; the first answer is kept and replayed.
 * The same key with another request is a 409. `redact` removes secrets before the answer is
 * kept: a replay cannot show an API key again (it was shown once and never stored).
 */
@Injectable()
export class IdempotentRequests {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async run<T extends object>(
    workspaceId: string,
    key: string | undefined,
    request: { method: string; path: string; body: unknown },
    act: () => Promise<{ status: number; body: T }>,
    redact: (body: T) => T = (body) => body,
  ): Promise<IdempotentAnswer<T>> {
    if (key === undefined) return { ...(await act()), replayed: false };
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.path}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const claimed = await this.dataSource.query(
      `INSERT INTO gateway.idempotency_keys (workspace_id, key, fingerprint)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
      [workspaceId, key, fingerprint],
    );
    if (claimed.length === 0) return this.replay<T>(workspaceId, key, fingerprint);
    let answer: { status: number; body: T };
    try {
      answer = await act();
    } catch (error) {
      // Nothing happened: the key may be used again for a corrected request.
      await this.dataSource.query(
        `DELETE FROM gateway.idempotency_keys WHERE workspace_id = $1 AND key = $2`,
        [workspaceId, key],
      );
      throw error;
    }
    await this.dataSource.query(
      `UPDATE gateway.idempotency_keys SET status = $3, body = $4
        WHERE workspace_id = $1 AND key = $2`,
      [workspaceId, key, answer.status, JSON.stringify(redact(answer.body))],
    );
    return { ...answer, replayed: false };
  }

  private async replay<T>(
    workspaceId: string,
    key: string,
    fingerprint: string,
  ): Promise<IdempotentAnswer<T>> {
    const [prior] = await this.dataSource.query(
      `SELECT fingerprint, status, body FROM gateway.idempotency_keys
        WHERE workspace_id = $1 AND key = $2`,
      [workspaceId, key],
    );
    if (!prior || prior.fingerprint !== fingerprint) {
      throw new ApiError(
        'conflict',
        'idempotency_key_reused',
        'this Idempotency-Key was used for a different request',
      );
    }
    if (prior.status === null) {
      throw new ApiError(
        'conflict',
        'idempotency_key_in_use',
        'a request with this Idempotency-Key is still being processed; retry shortly',
      );
    }
    return { status: prior.status, body: prior.body as T, replayed: true };
  }
}
