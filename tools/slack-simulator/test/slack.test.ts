import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startSlackSimulator, type SlackSimulator } from '../src/index.js';

/** Slack's Web API conventions: bearer bot tokens, `{ ok: false, error }`, 429 with Retry-After. */
describe('the Slack simulator', () => {
  let slack: SlackSimulator;
  const call = async (method: string, params: Record<string, string>, token?: string) => {
    const response = await fetch(`${slack.url}/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: new URLSearchParams(params).toString(),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as any,
    };
  };

  beforeAll(async () => {
    slack = await startSlackSimulator();
  });
  afterAll(async () => {
    await slack?.close();
  });

  test('given any xoxb token, a message is posted and listed; other tokens are refused', async () => {
    const sent = await call('chat.postMessage', { channel: '#eng', text: 'hi' }, 'xoxb-1-abc');
    expect(sent.body).toMatchObject({ ok: true, channel: 'C0000000002' });
    expect((await call('chat.postMessage', { channel: '#eng', text: 'x' })).body).toEqual({
      ok: false,
      error: 'not_authed',
    });
    expect(
      (await call('chat.postMessage', { channel: '#eng', text: 'x' }, 'xoxp-user')).body,
    ).toEqual({ ok: false, error: 'invalid_auth' });
    slack.revokeToken('xoxb-1-gone');
    expect((await call('auth.test', {}, 'xoxb-1-gone')).body.error).toBe('invalid_auth');
    const listed = (await (await fetch(`${slack.url}/_simulator/messages`)).json()) as any;
    expect(listed.messages.map((m: any) => m.text)).toEqual(['hi']);
    expect(JSON.stringify(listed)).not.toContain('xoxb-1-abc');
  });

  test('given an unknown channel, channel_not_found; given rate limiting, 429 with Retry-After', async () => {
    expect((await call('conversations.info', { channel: 'C999999999' }, 'xoxb-1')).body).toEqual({
      ok: false,
      error: 'channel_not_found',
    });
    slack.rateLimitNext(1, 7);
    const limited = await call('auth.test', {}, 'xoxb-1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body).toEqual({ ok: false, error: 'ratelimited' });
    expect((await call('auth.test', {}, 'xoxb-1')).body.ok).toBe(true);
  });

  test('given the external upload flow, the file is shared in the channel', async () => {
    const reserved = await call(
      'files.getUploadURLExternal',
      { filename: 'a.txt', length: '5' },
      'xoxb-1',
    );
    await fetch(reserved.body.upload_url, { method: 'POST', body: 'hello' });
    const done = await call(
      'files.completeUploadExternal',
      { files: JSON.stringify([{ id: reserved.body.file_id }]), channel_id: 'C0000000003' },
      'xoxb-1',
    );
    expect(done.body).toMatchObject({
      ok: true,
      files: [{ id: reserved.body.file_id, name: 'a.txt' }],
    });
    expect(slack.messages().find((m) => m.file)).toMatchObject({
      channel: 'C0000000003',
      file: { content: 'hello' },
    });
  });
});
