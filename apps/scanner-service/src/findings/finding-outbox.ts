import { Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import type { DataSource } from 'typeorm';
import { ScannerEvents } from '../scans/scanner-events.js';

const BATCH = 500;

/**
 * Publishes the finding changes committed to `scanner.finding_events`, in order, each with its
 * own id as `Nats-Msg-Id` (a second publisher's copy is dropped by JetStream). Calls within one
 * process run one after another; whatever a crash leaves unpublished goes with the next call.
 */
@Injectable()
export class FindingOutbox {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ScannerEvents) private readonly events: ScannerEvents,
  ) {}

  publishPending(workspaceId: string): Promise<void> {
    const next = this.chain.then(() => this.drain(workspaceId));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async drain(workspaceId: string): Promise<void> {
    for (;;) {
      const rows: Array<{ position: string; id: string; type: string; data: unknown }> =
        await this.dataSource.query(
          `SELECT position, id, type, data FROM scanner.finding_events
           WHERE workspace_id = $1 AND published_at IS NULL ORDER BY position LIMIT ${BATCH}`,
          [workspaceId],
        );
      if (rows.length === 0) return;
      // Concurrently in runs where no finding appears twice, so one finding's changes keep order.
      let run: typeof rows = [];
      const seen = new Set<string>();
      const flush = async () => {
        await Promise.all(
          run.map((row) =>
            this.events.publish(row.type, workspaceId, row.data, { messageId: row.id }),
          ),
        );
        run = [];
        seen.clear();
      };
      for (const row of rows) {
        const data = row.data as { githubId: number; check: string };
        const key = `${data.githubId}:${data.check}`;
        if (seen.has(key)) await flush();
        seen.add(key);
        run.push(row);
      }
      await flush();
      await this.dataSource.query(
        `UPDATE scanner.finding_events SET published_at = now() WHERE position = ANY($1::bigint[])`,
        [rows.map((r) => r.position)],
      );
      if (rows.length < BATCH) return;
    }
  }
}
