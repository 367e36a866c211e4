import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * A local HTTP server that answers like the providers' identity endpoints: GitHub (an app JWT
 * signed RS256 -> installation token -> `GET /installation/repositories`), Slack `auth.test`,
 * Vercel `GET /v2/user`, and a Docker Registry `/v2/` check. It verifies what it is sent the way
 * the real APIs do, so a wrong key or token is refused.
 */
export interface ProviderStandIn {
  url: string;
  appId: string;
  privateKeyPem: string;
  installationId: string;
  slackToken: string;
  vercelToken: string;
  calls: string[];
  /** The App is removed from an installation (it then answers 404 for it). */
  uninstall(installationId: string): void;
  close(): Promise<void>;
}

export async function startProviderStandIn(): Promise<ProviderStandIn> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appId = '4242';
  const installationId = '12345678';
  // Installations the App has, by id: the account each belongs to.
  const installations = new Map([
    [installationId, 'acme'],
    ['999', 'other'],
  ]);
  const installationToken = 'ghs_standin_installation_token';
  const calls: string[] = [];
  const slackToken = 'xoxb-good-token';
  const vercelToken = 'vercel-good-token';

  const server: Server = createServer((req, res) => {
    void (async () => {
      await body(req);
      const url = new URL(req.url ?? '/', 'http://local');
      calls.push(`${req.method} ${url.pathname}`);
      const auth = req.headers.authorization ?? '';
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      const appMatch = /^\/github\/app\/installations\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && appMatch) {
        if (!verifyAppJwt(auth.replace(/^bearer /i, ''), publicKey, appId))
          return json(401, { message: 'A JSON web token could not be decoded' });
        const login = installations.get(appMatch[1]!);
        if (!login) return json(404, { message: 'Not Found' });
        return json(200, {
          id: Number(appMatch[1]),
          account: { login, type: 'Organization' },
          suspended_at: null,
        });
      }
      const tokenMatch = /^\/github\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
      if (req.method === 'POST' && tokenMatch) {
        const jwt = auth.replace(/^bearer /i, '');
        if (!verifyAppJwt(jwt, publicKey, appId))
          return json(401, { message: 'A JSON web token could not be decoded' });
        if (!installations.has(tokenMatch[1]!)) return json(404, { message: 'Not Found' });
        return json(201, {
          token: installationToken,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: {},
          repository_selection: 'all',
        });
      }
      if (req.method === 'GET' && url.pathname === '/github/installation/repositories') {
        if (auth !== `token ${installationToken}`) return json(401, { message: 'Bad credentials' });
        return json(200, { total_count: 3, repositories: [] });
      }
      if (req.method === 'POST' && url.pathname === '/slack/auth.test') {
        return json(
          200,
          auth === `Bearer ${slackToken}`
            ? { ok: true, team: 'acme' }
            : { ok: false, error: 'invalid_auth' },
        );
      }
      if (req.method === 'GET' && url.pathname === '/vercel/v2/user') {
        return auth === `Bearer ${vercelToken}`
          ? json(200, { user: { id: 'u1' } })
          : json(403, { error: { code: 'forbidden' } });
      }
      json(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    appId,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    installationId,
    slackToken,
    vercelToken,
    calls,
    uninstall: (id) => void installations.delete(id),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function verifyAppJwt(jwt: string, publicKey: KeyObject, appId: string): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(publicKey, Buffer.from(signature, 'base64url'))) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    iss?: unknown;
    exp?: number;
  };
  return (
    String(claims.iss) === appId && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now()
  );
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}
