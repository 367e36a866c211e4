import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';

const PROJECTION = 'integrations';

/** Read-your-writes: until the integration read model has applied a log position, bounded. */
@Injectable()
export class ProjectionWait {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async waitFor(position: string, timeoutMs = 3_000): Promise<boolean> {
    const target = BigInt(position);
    const deadline = Date.now() + timeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 25)) {
      const rows: { position: string }[] = await this.dataSource.query(
        `SELECT position::text FROM gateway.projection_checkpoints WHERE projection = $1`,
        [PROJECTION],
      );
      if (rows[0] && BigInt(rows[0].position) >= target) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
