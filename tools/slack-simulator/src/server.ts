import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local stand-in for Slack's Web API, for tests, benchmarks and the `npm start` sandbox. It
 * serves the methods the platform's checks and actions use, with Slack's conventions: methods at
 * `POST /<method>` taking form or JSON bodies, bot tokens in `Authorization: Bearer xoxb-...`
 * (any such token is accepted unless revoked here), HTTP 200 with `{ "ok": false, "error": ... }`
 * for refusals (`invalid_auth`, `not_authed`, `channel_not_found`, `user_not_found`), and HTTP 429
 * with `Retry-After` and `{ "ok": false, "error": "ratelimited" }` when rate limited.
 */
export interface SlackChannel {
  id: string;
  name: string;
  members: string[];
  isPrivate: boolean;
}

export interface SlackUser {
  id: string;
  name: string;
}

export interface PostedMessage {
  channel: string;
  text: string;
  ts: string;
  /** The bot token's team, for tests that check which workspace posted. */
  token: string;
  file?: { id: string; name: string; content: string };
}

export interface SlackSimulatorOptions {
  port?: number;
  host?: string;
  channels?: SlackChannel[];
  users?: SlackUser[];
}

export interface SlackSimulator {
  url: string;
  channels: SlackChannel[];
  users: SlackUser[];
  messages(): PostedMessage[];
  /** The next `count` calls answer 429 `ratelimited` with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void;
  revokeToken(token: string): void;
  calls(): number;
  close(): Promise<void>;
}

export const DEFAULT_CHANNELS: SlackChannel[] = [
  {
    id: 'C0000000001',
    name: 'general',
    members: ['U0000000001', 'U0000000002', 'U0000000003'],
    isPrivate: false,
  },
  { id: 'C0000000002', name: 'eng', members: ['U0000000001', 'U0000000002'], isPrivate: false },
  { id: 'C0000000003', name: 'alerts', members: ['U0000000001'], isPrivate: false },
];
export const DEFAULT_USERS: SlackUser[] = [
  { id: 'U0000000001', name: 'ada' },
  { id: 'U0000000002', name: 'grace' },
  { id: 'U0000000003', name: 'linus' },
];

type Params = Record<string, string>;
class SlackError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

export async function startSlackSimulator(
  options: SlackSimulatorOptions = {},
): Promise<SlackSimulator> {
  const channels = structuredClone(options.channels ?? DEFAULT_CHANNELS);
  const users = structuredClone(options.users ?? DEFAULT_USERS);
  const posted: PostedMessage[] = [];
  const pendingUploads = new Map<string, { name: string; length: number; content?: string }>();
  const revoked = new Set<string>();
  let limited = 0;
  let retryAfter = 1;
  let callCount = 0;
  let clock = 1_700_000_000_000;
  let base = '';

  const nextTs = () => {
    clock = Math.max(clock + 1, Date.now() * 1000);
    return `${Math.floor(clock / 1_000_000)}.${String(clock % 1_000_000).padStart(6, '0')}`;
  };
  const channelOf = (ref: string | undefined): SlackChannel => {
    if (!ref) throw new SlackError('channel_not_found');
    const name = ref.replace(/^#/, '');
    const found = channels.find((c) => c.id === ref || c.name === name);
    if (!found) throw new SlackError('channel_not_found');
    return found;
  };
  const conversation = (c: SlackChannel) => ({
    id: c.id,
    name: c.name,
    is_channel: !c.isPrivate,
    is_group: false,
    is_im: c.id.startsWith('D'),
    is_private: c.isPrivate,
    is_archived: false,
    num_members: c.members.length,
  });

  const methods: Record<string, (p: Params, token: string) => Record<string, unknown>> = {
    'auth.test': () => ({
      url: 'https://sim.slack.com/',
      team: 'Simulated',
      user: 'bot',
      team_id: 'T0000000001',
      user_id: 'U0000000BOT',
      bot_id: 'B0000000001',
    }),
    'conversations.info': (p) => ({ channel: conversation(channelOf(p.channel)) }),
    'conversations.list': () => ({
      channels: channels.filter((c) => !c.id.startsWith('D')).map(conversation),
      response_metadata: { next_cursor: '' },
    }),
    'conversations.members': (p) => ({
      members: channelOf(p.channel).members,
      response_metadata: { next_cursor: '' },
    }),
    'conversations.open': (p) => {
      const ids = (p.users ?? '').split(',').filter(Boolean);
      if (ids.length === 0 || ids.some((id) => !users.some((u) => u.id === id)))
        throw new SlackError('user_not_found');
      const id = `D${ids.join('').slice(-9).padStart(10, '0')}`;
      if (!channels.some((c) => c.id === id))
        channels.push({ id, name: id, members: ids, isPrivate: true });
      return { channel: { id } };
    },
    'chat.postMessage': (p, token) => {
      const channel = channelOf(p.channel);
      if (!p.text && !p.blocks) throw new SlackError('no_text');
      const ts = nextTs();
      posted.push({ channel: channel.id, text: p.text ?? '', ts, token });
      return {
        channel: channel.id,
        ts,
        message: { type: 'message', text: p.text ?? '', ts, bot_id: 'B0000000001' },
      };
    },
    'files.getUploadURLExternal': (p) => {
      const length = Number(p.length);
      if (!p.filename) throw new SlackError('invalid_arguments');
      if (!Number.isInteger(length) || length < 0) throw new SlackError('invalid_arguments');
      const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
      pendingUploads.set(id, { name: p.filename, length });
      return { upload_url: `${base}/_upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (p, token) => {
      let files: Array<{ id: string; title?: string }>;
      try {
        files = JSON.parse(p.files ?? '[]');
      } catch {
        throw new SlackError('invalid_arguments');
      }
      const channel = p.channel_id ? channelOf(p.channel_id) : undefined;
      const done = files.map((f) => {
        const upload = pendingUploads.get(f.id);
        if (!upload || upload.content === undefined) throw new SlackError('file_not_found');
        pendingUploads.delete(f.id);
        if (channel) {
          posted.push({
            channel: channel.id,
            text: p.initial_comment ?? '',
            ts: nextTs(),
            token,
            file: { id: f.id, name: upload.name, content: upload.content },
          });
        }
        return { id: f.id, title: f.title ?? upload.name, name: upload.name };
      });
      return { files: done };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/^\/(api\/)?/, '');
    const raw = await readBody(req);
    if (url.pathname === '/_simulator/messages' && req.method === 'GET') {
      return send(res, 200, { messages: posted.map(({ token: _token, ...m }) => m) });
    }
    if (path.startsWith('_upload/') && req.method === 'POST') {
      const upload = pendingUploads.get(path.slice('_upload/'.length));
      if (!upload) return sendText(res, 404, 'not found');
      upload.content = raw;
      return sendText(res, 200, `OK - ${Buffer.byteLength(raw)}`);
    }
    callCount++;
    const handler = methods[path];
    if (!handler) return send(res, 404, { ok: false, error: 'unknown_method' });
    if (limited > 0) {
      limited--;
      res.setHeader('retry-after', String(retryAfter));
      return send(res, 429, { ok: false, error: 'ratelimited' });
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const params = parseParams(req.headers['content-type'], raw, url);
    const token = bearer?.[1] ?? params.token;
    if (!token) return send(res, 200, { ok: false, error: 'not_authed' });
    if (!/^xoxb-[A-Za-z0-9-]+$/.test(token) || revoked.has(token)) {
      return send(res, 200, { ok: false, error: 'invalid_auth' });
    }
    try {
      return send(res, 200, { ok: true, ...handler(params, token) });
    } catch (error) {
      if (error instanceof SlackError) return send(res, 200, { ok: false, error: error.code });
      throw error;
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url: base,
    channels,
    users,
    messages: () => posted.map((m) => ({ ...m })),
    rateLimitNext: (count, seconds = 1) => {
      limited = count;
      retryAfter = seconds;
    },
    revokeToken: (token) => void revoked.add(token),
    calls: () => callCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Slack takes form bodies, JSON bodies (write methods) and query strings alike. */
function parseParams(contentType: string | undefined, raw: string, url: URL): Params {
  const params: Params = Object.fromEntries(url.searchParams);
  if (!raw) return params;
  if ((contentType ?? '').includes('application/json')) {
    try {
      const body = JSON.parse(raw) as Record<string, unknown>;
      for (const [k, v] of Object.entries(body)) {
        params[k] = typeof v === 'string' ? v : JSON.stringify(v);
      }
    } catch {
      // Slack answers invalid_json; a missing parameter says as much here.
    }
    return params;
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
