import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/** A write the load made: one logical operation, retried under one key until it is answered. */
export interface LedgerEntry {
  /** Idempotency-Key, X-Correlation-Id and (webhooks) X-GitHub-Delivery. */
  id: string;
  kind: 'connect' | 'disconnect' | 'rule' | 'webhook';
  workspaceId: string;
  /** A rule's name. */
  name?: string;
  startedAt: number;
  /** When a 2xx came back (the effect is promised from then on); undefined if it never did. */
  ackedAt?: number;
  /** Attempts until the answer: more than one means a retry under the same key. */
  attempts: number;
  outcome: 'acked' | 'refused' | 'abandoned' | 'pending';
  lastStatus: number;
}

export interface LoadWorkspace {
  workspaceId: string;
  token: string;
  /** Slack as the last answered connect or disconnect left it; undefined once unknown. */
  slack: 'connected' | 'disconnected' | undefined;
  busy: boolean;
}

export interface LoadOptions {
  gateways: string[];
  workspaces: LoadWorkspace[];
  /** The workspace whose GitHub installation the webhooks are for. */
  webhookInstallationId: number;
  webhookSecret: string;
  /** Logical operations started per second. */
  rate: number;
  /** Retries under one key stop after this long (the operation is then `abandoned`). */
  giveUpMs?: number;
  maxInFlight?: number;
}

/** A status that says the request may not have been acted on: ask again under the same key. */
const retryable = (status: number, code: string | undefined) =>
  status === 0 || status === 429 || status >= 500 || code === 'idempotency_key_in_use';

/**
 * Steady mixed load at `rate` operations per second, spread over the gateways as a load
 * balancer would (a retry goes to the next one): Slack connects and disconnects across the
 * workspaces, rule writes, and signed GitHub webhooks. Every operation carries one key; it is
 * asked again on a 5xx, 429 or a dropped connection, as a careful client does, and its answer is
 * written to the ledger.
 */
export class MixedLoad {
  readonly ledger: LedgerEntry[] = [];
  attempts = 0;
  skipped = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private tick = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    const interval = 1000 / this.options.rate;
    let due = performance.now();
    const step = () => {
      // Catch up on ticks a busy event loop delayed, so the offered rate holds.
      while (due <= performance.now()) {
        due += interval;
        this.launch();
      }
      this.timer = setTimeout(step, Math.max(0, due - performance.now()));
    };
    step();
  }

  /** Stops starting operations and waits for those under way to be answered or abandoned. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await Promise.all(this.running);
  }

  private launch(): void {
    if (this.inFlight >= (this.options.maxInFlight ?? 64)) {
      this.skipped++;
      return;
    }
    const kind = ['toggle', 'rule', 'webhook', 'toggle', 'webhook'][this.tick++ % 5]!;
    let run: Promise<void>;
    if (kind === 'toggle') {
      const workspace = this.options.workspaces.find((w) => !w.busy && w.slack !== undefined);
      if (!workspace) return this.launchOther();
      run = this.toggle(workspace);
    } else if (kind === 'rule') run = this.rule();
    else run = this.webhook();
    this.track(run);
  }

  private launchOther(): void {
    this.track(this.tick % 2 ? this.rule() : this.webhook());
  }

  private track(run: Promise<void>): void {
    this.inFlight++;
    const tracked = run.finally(() => {
      this.inFlight--;
      this.running.delete(tracked);
    });
    this.running.add(tracked);
  }

  private pickWorkspace(): LoadWorkspace {
    const list = this.options.workspaces;
    return list[this.tick % list.length]!;
  }

  private async toggle(workspace: LoadWorkspace): Promise<void> {
    workspace.busy = true;
    // Rotate which workspaces toggle, so every one of them sees writes.
    const list = this.options.workspaces;
    list.push(...list.splice(list.indexOf(workspace), 1));
    const kind = workspace.slack === 'connected' ? 'disconnect' : 'connect';
    const entry = this.entry(kind, workspace.workspaceId);
    const body = kind === 'connect' ? { botToken: `xoxb-${entry.id}` } : {};
    const answer = await this.send(entry, `/api/integrations/slack/${kind}`, workspace.token, body);
    if (entry.outcome === 'acked')
      workspace.slack = kind === 'connect' ? 'connected' : 'disconnected';
    else if (answer.code === 'already_connected') workspace.slack = 'connected';
    else if (answer.code === 'not_connected') workspace.slack = 'disconnected';
    else workspace.slack = undefined; // not known any more: this workspace stops toggling
    workspace.busy = false;
  }

  private async rule(): Promise<void> {
    const workspace = this.pickWorkspace();
    const entry = this.entry('rule', workspace.workspaceId);
    entry.name = `fault-${entry.id}`;
    await this.send(entry, '/api/rules', workspace.token, {
      name: entry.name,
      trigger: { event: 'push' },
      actions: [
        { provider: 'github', method: 'create_issue', params: { title: 'pushed', body: 'x' } },
      ],
    });
  }

  private async webhook(): Promise<void> {
    const entry = this.entry('webhook', '');
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: randomBytes(20).toString('hex'),
      repository: { id: 1, name: 'bench', full_name: 'bench/bench' },
      installation: { id: this.options.webhookInstallationId },
    });
    const signature = createHmac('sha256', this.options.webhookSecret).update(body).digest('hex');
    await this.send(entry, '/api/webhooks/github', undefined, body, {
      'x-github-event': 'push',
      'x-github-delivery': entry.id,
      'x-hub-signature-256': `sha256=${signature}`,
    });
  }

  private entry(kind: LedgerEntry['kind'], workspaceId: string): LedgerEntry {
    const entry: LedgerEntry = {
      id: randomUUID(),
      kind,
      workspaceId,
      startedAt: Date.now(),
      attempts: 0,
      outcome: 'pending',
      lastStatus: 0,
    };
    this.ledger.push(entry);
    return entry;
  }

  /** Sends until an answer that is not retryable, or until it gives up. */
  private async send(
    entry: LedgerEntry,
    path: string,
    token: string | undefined,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; code?: string }> {
    const giveUpAt = entry.startedAt + (this.options.giveUpMs ?? 90_000);
    for (;;) {
      const gateway = this.options.gateways[this.next++ % this.options.gateways.length]!;
      entry.attempts++;
      this.attempts++;
      const answer = await fetch(`${gateway}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': entry.id,
          'x-correlation-id': entry.id,
          ...(token ? { authorization: `Token ${token}` } : {}),
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      }).then(
        async (r) => ({
          status: r.status,
          code: ((await r.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code,
        }),
        () => ({ status: 0, code: undefined }),
      );
      entry.lastStatus = answer.status;
      if (answer.status >= 200 && answer.status < 300) {
        entry.outcome = 'acked';
        entry.ackedAt = Date.now();
        return answer;
      }
      if (!retryable(answer.status, answer.code)) {
        entry.outcome = 'refused';
        return answer;
      }
      if (Date.now() > giveUpAt) {
        entry.outcome = 'abandoned';
        return answer;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
