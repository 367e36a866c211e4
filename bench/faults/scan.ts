import pg from 'pg';

/** What the fault bench's org scan came to. */
export interface ScanOutcome {
  scanId: string;
  status: string;
  reposScanned: number;
  /** The gateway's scan-progress agrees: completed, every repository counted. */
  ok: boolean;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a full scan of the simulator's org (the conditional-request cache forgotten first, so it
 * takes as long as a first scan) and waits until a replica is working on it.
 */
export async function startScan(gateway: string, token: string, databaseUrl: string) {
  const headers = { authorization: `Token ${token}`, 'content-type': 'application/json' };
  await fetch(`${gateway}/api/integrations/github/scan-cache/invalidate`, {
    method: 'POST',
    headers,
    body: '{}',
  });
  const answer = await fetch(`${gateway}/api/integrations/github/scan-org`, {
    method: 'POST',
    headers,
    body: '{}',
  });
  if (answer.status !== 202) throw new Error(`scan-org: ${answer.status} ${await answer.text()}`);
  const { scanId } = (await answer.json()) as { scanId: string };
  for (;;) {
    const [row] = await query<{ repos_scanned: number }>(
      databaseUrl,
      `SELECT repos_scanned FROM scanner.scans WHERE id = $1`,
      [scanId],
    );
    if ((row?.repos_scanned ?? 0) > 0) return scanId;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the scan to end (up to `timeoutMs`) and reads its count in the scanner and the gateway. */
export async function scanOutcome(
  gateway: string,
  token: string,
  databaseUrl: string,
  scanId: string,
  repos: number,
  timeoutMs: number,
): Promise<ScanOutcome> {
  const deadline = Date.now() + timeoutMs;
  let row: { status: string; repos_scanned: number } | undefined;
  for (;;) {
    [row] = await query<{ status: string; repos_scanned: number }>(
      databaseUrl,
      `SELECT status, repos_scanned FROM scanner.scans WHERE id = $1`,
      [scanId],
    ).catch(() => [undefined]);
    if (row?.status === 'completed' || row?.status === 'failed' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  let shown: { status?: string; reposScanned?: number } = {};
  while (Date.now() < deadline + 10_000) {
    shown = await fetch(`${gateway}/api/integrations/github/scan-progress`, {
      headers: { authorization: `Token ${token}` },
    }).then(
      (r) => r.json() as Promise<typeof shown>,
      () => ({}),
    );
    if (shown.status === row?.status) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    scanId,
    status: row?.status ?? 'unknown',
    reposScanned: row?.repos_scanned ?? 0,
    ok:
      row?.status === 'completed' &&
      row.repos_scanned === repos &&
      shown.status === 'completed' &&
      shown.reposScanned === repos,
  };
}

/** The scanner replica doing the most GitHub requests right now: the one mid-scan. */
export async function busiestScanner<T extends { url: string }>(scanners: T[]): Promise<T> {
  const requests = async (url: string) => {
    const text = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    return text
      .split('\n')
      .filter((l) => l.startsWith('github_requests_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  };
  const before = await Promise.all(scanners.map((s) => requests(s.url)));
  await new Promise((r) => setTimeout(r, 1_000));
  const after = await Promise.all(scanners.map((s) => requests(s.url)));
  const deltas = after.map((n, i) => n - before[i]!);
  return scanners[deltas.indexOf(Math.max(...deltas))]!;
}
