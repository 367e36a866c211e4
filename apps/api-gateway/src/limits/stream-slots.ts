import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { ApiError } from '../errors/api-error.js';
import type { LimitsConfig } from './limits.config.js';

/** Open server-sent event streams per API key: a key holds at most `SSE_STREAMS_PER_KEY`. */
@Injectable()
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(@Inject(SERVICE_CONFIG) private readonly config: LimitsConfig) {}

  /** Takes a slot for `tokenId` (429 when it has none left); the function gives it back once. */
  take(tokenId: string): () => void {
    const held = this.open.get(tokenId) ?? 0;
    const max = this.config.SSE_STREAMS_PER_KEY;
    if (held >= max) {
      throw new ApiError(
        'rate_limited',
        'too_many_streams',
        `this key already holds ${held} open streams (at most ${max}); close one first`,
        { limit: max },
        5,
      );
    }
    this.open.set(tokenId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(tokenId) ?? 1) - 1;
      if (left > 0) this.open.set(tokenId, left);
      else this.open.delete(tokenId);
    };
  }
}
