import { createServer, request, type Server } from 'node:http';

export interface GithubWithUninstalls {
  /** Where the services reach GitHub (`GITHUB_API_URL`). */
  url: string;
  /** As GitHub does when an org owner uninstalls the App from this one installation. */
  uninstall(installationId: number): void;
  close(): Promise<void>;
}

/** Where GitHub's 404 for an installation points. */
const DOCS = 'https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app';

/**
 * The GitHub simulator, behind a pass-through where one installation of the App can be
 * uninstalled while the others stay. The simulator's `deleteInstallation()` removes every
 * installation at once, and each test here connects a workspace to an installation of its own
 * (one installation belongs to one workspace), so one test's uninstall must not reach another's.
 * For an uninstalled id `GET /app/installations/{id}` and `POST .../access_tokens` answer 404, as
 * GitHub does (what the scanner asks before it believes an uninstall delivery); every other
 * request goes to the simulator untouched.
 */
export async function startGithubWithUninstalls(
  simulatorUrl: string,
): Promise<GithubWithUninstalls> {
  const target = new URL(simulatorUrl);
  const uninstalled = new Set<number>();
  const server: Server = createServer((req, res) => {
    const app = /^\/app\/installations\/(\d+)(?:\/access_tokens)?\/?(?:\?|$)/.exec(req.url ?? '');
    if (app && uninstalled.has(Number(app[1]))) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ message: 'Not Found', documentation_url: DOCS, status: '404' }));
      return;
    }
    const upstream = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    uninstall: (installationId) => void uninstalled.add(installationId),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
