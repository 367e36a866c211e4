import { describe, expect, test } from '@jest/globals';
import { installationChangeOf, parseInstallationId } from './installations.projection.js';
import { readDelivery, slimPayload } from './read-delivery.js';
import { SignatureVerifier } from './signature.js';
import { Webhooks } from '@octokit/webhooks';

const headers = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-github-event': 'repository',
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  ...extra,
});
const now = new Date('2026-11-23T10:00:00Z');

describe('readDelivery', () => {
  test('reads event, delivery id, action and installation', () => {
    const body = Buffer.from(JSON.stringify({ action: 'created', installation: { id: 42 } }));
    expect(readDelivery(headers({ 'x-github-hook-id': '9' }), body, now)).toEqual({
      ok: true,
      delivery: {
        deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        event: 'repository',
        action: 'created',
        installationId: 42,
        integrationId: null,
        hookId: '9',
        receivedAt: now.toISOString(),
        payload: { action: 'created', installation: { id: 42 } },
      },
    });
  });

  test.each([
    [{ 'x-github-event': 'repo.>' }, '{}', 'invalid_event'],
    [{ 'x-github-delivery': 'a b' }, '{}', 'invalid_delivery_id'],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'payload=%7B%7D', 'not_json'],
    [{}, '{"a":', 'not_json'],
    [{}, '"text"', 'not_json'],
  ])('%j with body %s -> 400 %s', (extra, body, code) => {
    expect(readDelivery(headers(extra), Buffer.from(body), now)).toMatchObject({
      ok: false,
      status: 400,
      code,
    });
  });

  test('slimming keeps what processing reads and drops the rest (commits)', () => {
    expect(
      slimPayload({ action: 'x', repository: { id: 1 }, commits: [1, 2], installation: { id: 2 } }),
    ).toEqual({ action: 'x', repository: { id: 1 }, installation: { id: 2 } });
  });
});

describe('SignatureVerifier', () => {
  test('accepts the current or the previous secret, refuses anything else', async () => {
    const body = Buffer.from('{"zen":"Keep it logically awesome."}');
    const sign = (secret: string) => new Webhooks({ secret }).sign(body.toString());
    const verifier = new SignatureVerifier(['new', 'old']);
    expect(await verifier.verify(body, await sign('new'))).toBe(true);
    expect(await verifier.verify(body, await sign('old'))).toBe(true);
    expect(await verifier.verify(body, await sign('other'))).toBe(false);
    expect(await verifier.verify(body, undefined)).toBe(false);
    expect(await verifier.verify(body, 'sha1=abc')).toBe(false);
    expect(await verifier.verify(Buffer.alloc(0), await sign('new'))).toBe(false);
    expect(new SignatureVerifier([undefined, '']).configured).toBe(false);
  });
});

describe('installation projection', () => {
  const connected = (workspaceId: string, integrationId: string, installationId: unknown) => ({
    type: 'IntegrationConnected',
    workspaceId,
    data: { integrationId, provider: 'github', config: { installationId } },
  });

  test('a GitHub connect maps the installation to the workspace and integration', () => {
    expect(installationChangeOf(connected('w1', 'i1', '12345678'), () => undefined)).toEqual({
      installationId: 12345678,
      owner: { workspaceId: 'w1', integrationId: 'i1' },
    });
  });

  test('a disconnect or delete clears the installation that integration had', () => {
    const known = (id: string) => (id === 'i1' ? 12345678 : undefined);
    for (const type of ['IntegrationDisconnected', 'IntegrationDeleted']) {
      expect(
        installationChangeOf(
          { type, workspaceId: 'w1', data: { integrationId: 'i1', provider: 'github' } },
          known,
        ),
      ).toEqual({ installationId: 12345678, owner: null });
    }
  });

  test('other providers, other events and bad ids change nothing', () => {
    const slack = {
      ...connected('w1', 'i2', '1'),
      data: { integrationId: 'i2', provider: 'slack' },
    };
    expect(installationChangeOf(slack, () => undefined)).toBeNull();
    expect(
      installationChangeOf({ ...connected('w1', 'i1', '1'), type: 'IntegrationUpdated' }, () => 1),
    ).toBeNull();
    expect(installationChangeOf(connected('w1', 'i1', 'abc'), () => undefined)).toBeNull();
    expect(parseInstallationId(-3)).toBeNull();
    expect(parseInstallationId(7)).toBe(7);
  });
});
