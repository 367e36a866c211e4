import { createServer, type Server } from 'node:http';

/**
 * A local stand-in for Slack's Web API where the health check depends on it: `POST /auth.test`
 * with `Authorization: Bearer <bot token>` answers `{ ok: true }` for the one good token and
 * Slack's `{ ok: false, error: 'invalid_auth' }` otherwise (HTTP 200 either way, as Slack does).
 */
export async function startFakeSlack(
  goodToken: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/auth.test') {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      return;
    }
    const good = request.headers.authorization === `Bearer ${goodToken}`;
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(
      JSON.stringify(
        good
          ? {
              ok: true,
              url: 'https://acme.slack.com/',
              team: 'Acme',
              user: 'bot',
              team_id: 'T0001',
            }
          : { ok: false, error: 'invalid_auth' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
