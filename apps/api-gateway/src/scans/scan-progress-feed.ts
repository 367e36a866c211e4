import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { ScanReadModel } from './scan-read-model.js';
import { toProgressView } from './scan-progress.js';

/** One open `scan-progress/stream`: what it was sent last, and how to write or end it. */
interface Watcher {
  workspaceId: string;
  last: string;
  lastWriteAt: number;
  write(chunk: string): void;
  end(): void;
}

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;

/**
 * The one source behind every open scan-progress stream of this replica: a single poller reads
 * the scan rows of all watched workspaces in one query and fans each change out to that
 * workspace's streams. The read model (not this replica's memory) is what it polls, because
 * another replica may be the one projecting scanner events. Streams end on shutdown.
 */
@Injectable()
export class ScanProgressFeed implements OnModuleDestroy {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    @Inject(ScanReadModel) private readonly readModel: ScanReadModel,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts feeding `write` with `event: progress` chunks; the function returned stops it. */
  watch(workspaceId: string, write: (chunk: string) => void, end: () => void): () => void {
    const watcher: Watcher = { workspaceId, last: '', lastWriteAt: Date.now(), write, end };
    this.watchers.add(watcher);
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    void this.poll();
    return () => this.forget(watcher);
  }

  get size(): number {
    return this.watchers.size;
  }

  onModuleDestroy(): void {
    for (const watcher of [...this.watchers]) {
      this.forget(watcher);
      watcher.end();
    }
  }

  private forget(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async poll(): Promise<void> {
    if (this.polling || this.watchers.size === 0) return;
    this.polling = true;
    try {
      const workspaceIds = [...new Set([...this.watchers].map((w) => w.workspaceId))];
      const scans = await this.readModel.scans(workspaceIds);
      const now = Date.now();
      for (const watcher of this.watchers) {
        const view = JSON.stringify(toProgressView(scans.get(watcher.workspaceId)));
        if (view !== watcher.last) {
          watcher.last = view;
          watcher.write(`event: progress\ndata: ${view}\n\n`);
          watcher.lastWriteAt = now;
        } else if (now - watcher.lastWriteAt > HEARTBEAT_MS) {
          watcher.write(': keep-alive\n\n');
          watcher.lastWriteAt = now;
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'scan progress poll failed; the next tick retries');
    } finally {
      this.polling = false;
    }
  }
}
