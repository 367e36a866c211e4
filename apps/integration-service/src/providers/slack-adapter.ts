import type { CheckValue, ProviderTarget } from '#libs/contracts/src/index.js';
import { describeCause, ProviderCallError, ProviderTargetError } from './provider-error.js';

export interface SlackAdapterConfig {
  baseUrl: string;
  timeoutMs: number;
  /** A `ratelimited` answer asking to wait at most this long is waited out and retried once. */
  maxRetryAfterSeconds: number;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;

/**
 * Slack's Web API with the workspace's bot token: `POST <base>/<method>` with form parameters,
 * `Authorization: Bearer xoxb-...`; `{ ok: false, error }` and HTTP 429 (`Retry-After`) become
 * ProviderCallErrors naming Slack's error code.
 */
export class SlackAdapter {
  constructor(private readonly config: SlackAdapterConfig) {}

  async check(
    token: string,
    checks: string[],
    target: ProviderTarget,
  ): Promise<{ values: Record<string, CheckValue>; calls: number }> {
    const session = this.session(token);
    const values: Record<string, CheckValue> = {};
    if (checks.includes('channel.member_count')) {
      const channel = await this.channelId(session, target.channel);
      const info = await session.call<{ channel: { num_members?: number } }>('conversations.info', {
        channel,
        include_num_members: 'true',
      });
      values['channel.member_count'] = info.channel.num_members ?? 0;
    }
    return { values, calls: session.calls };
  }

  async act(
    token: string,
    method: string,
    params: Record<string, unknown>,
  ): Promise<{ ref: Record<string, string | number>; calls: number }> {
    const session = this.session(token);
    const text = String(params.text ?? params.message ?? '');
    const done = (ref: Record<string, string | number>) => ({ ref, calls: session.calls });
    switch (method) {
      case 'send_message':
      case 'notify': {
        const sent = await session.call<{ channel: string; ts: string }>('chat.postMessage', {
          channel: String(params.channel),
          text,
        });
        return done({ channel: sent.channel, ts: sent.ts });
      }
      case 'send_dm': {
        const opened = await session.call<{ channel: { id: string } }>('conversations.open', {
          users: String(params.user),
        });
        const sent = await session.call<{ channel: string; ts: string }>('chat.postMessage', {
          channel: opened.channel.id,
          text,
        });
        return done({ channel: sent.channel, ts: sent.ts });
      }
      case 'upload_file': {
        // Slack's upload flow: reserve an upload URL, send the bytes there, then share the file.
        const content = String(params.content ?? '');
        const filename = String(params.filename);
        const channel = await this.channelId(session, String(params.channel));
        const reserved = await session.call<{ upload_url: string; file_id: string }>(
          'files.getUploadURLExternal',
          { filename, length: String(Buffer.byteLength(content)) },
        );
        session.calls++;
        const uploaded = await fetch(reserved.upload_url, {
          method: 'POST',
          body: content,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        }).catch((error: unknown) => {
          throw new ProviderCallError(`Slack did not take the upload: ${describeCause(error)}`);
        });
        await uploaded.arrayBuffer();
        if (!uploaded.ok) {
          throw new ProviderCallError(`Slack answered ${uploaded.status} to the upload`, {
            status: uploaded.status,
          });
        }
        await session.call('files.completeUploadExternal', {
          files: JSON.stringify([{ id: reserved.file_id, title: filename }]),
          channel_id: channel,
        });
        return done({ fileId: reserved.file_id, channel });
      }
      default:
        throw new ProviderTargetError('method', `slack has no action ${method}`);
    }
  }

  /** A channel id as given, or the id of the channel with that name (`#eng` or `eng`). */
  private async channelId(session: ReturnType<SlackAdapter['session']>, channel: unknown) {
    if (typeof channel !== 'string' || channel.length === 0) {
      throw new ProviderTargetError('target.channel', 'a channel check needs a channel');
    }
    if (CHANNEL_ID.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    let cursor = '';
    do {
      const page = await session.call<{
        channels: Array<{ id: string; name: string }>;
        response_metadata?: { next_cursor?: string };
      }>('conversations.list', {
        limit: '200',
        exclude_archived: 'true',
        ...(cursor ? { cursor } : {}),
      });
      const found = page.channels.find((c) => c.name === name);
      if (found) return found.id;
      cursor = page.response_metadata?.next_cursor ?? '';
    } while (cursor);
    throw new ProviderCallError(`Slack has no channel ${channel}`, { code: 'channel_not_found' });
  }

  private session(token: string) {
    const { baseUrl, timeoutMs, maxRetryAfterSeconds } = this.config;
    const session = {
      calls: 0,
      async call<T>(method: string, params: Record<string, string>, retried = false): Promise<T> {
        session.calls++;
        let response: Response;
        try {
          response = await fetch(`${baseUrl.replace(/\/+$/, '')}/${method}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams(params).toString(),
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (error) {
          throw new ProviderCallError(`Slack did not answer ${method}: ${describeCause(error)}`, {
            code: 'unreachable',
          });
        }
        const body = (await response.json().catch(() => undefined)) as
          ({ ok?: boolean; error?: string } & T) | undefined;
        if (response.status === 429) {
          const retryAfter = Number(response.headers.get('retry-after') ?? '1') || 1;
          if (!retried && retryAfter <= maxRetryAfterSeconds) {
            await new Promise((r) => setTimeout(r, retryAfter * 1000));
            return session.call<T>(method, params, true);
          }
          throw new ProviderCallError(`Slack rate limited ${method}; retry after ${retryAfter} s`, {
            status: 429,
            code: 'ratelimited',
            retryAfterSeconds: retryAfter,
          });
        }
        if (!response.ok || !body) {
          throw new ProviderCallError(`Slack answered ${response.status} to ${method}`, {
            status: response.status,
          });
        }
        if (body.ok !== true) {
          throw new ProviderCallError(`Slack refused ${method}: ${body.error ?? 'no reason'}`, {
            code: body.error ?? 'unknown',
          });
        }
        return body;
      },
    };
    return session;
  }
}
