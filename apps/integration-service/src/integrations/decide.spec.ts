import { describe, expect, test } from '@jest/globals';
import { findProvider } from '#libs/contracts/src/index.js';
import { decideIntegration, type IntegrationCommand } from './decide.js';
import { evolveIntegration } from './evolve.js';
import { initialIntegration, type IntegrationState } from './integration.state.js';

const github = findProvider('github')!;
const ecr = findProvider('ecr')!;
const now = '2026-01-01T00:00:00.000Z';

/** Decides, then applies what was decided: the state a command leads to. */
function run(state: IntegrationState, command: IntegrationCommand) {
  const decision = decideIntegration(state, command, now);
  if (!decision.ok) return { state, error: decision.error, events: [] };
  const next = decision.events.reduce(
    (s, e) =>
      evolveIntegration(s, { ...e, streamVersion: s.version + 1, metadata: { workspaceId: 'ws' } }),
    state,
  );
  return { state: next, events: decision.events, error: undefined };
}

const connectGithub: IntegrationCommand = {
  kind: 'connect',
  provider: github,
  config: { installationId: '1', accountLogin: 'acme' },
  credentials: null,
};

describe('decideIntegration / evolveIntegration', () => {
  test('first connect creates a connected integration with default settings', () => {
    const { state, events } = run(initialIntegration('i1'), connectGithub);
    expect(events.map((e) => [e.type, e.schemaVersion])).toEqual([['IntegrationConnected', 2]]);
    expect(state).toMatchObject({
      exists: true,
      status: 'connected',
      profileName: 'GitHub (acme)',
      settings: { broker_enabled: false },
      workspaceId: 'ws',
      version: 1,
    });
  });

  test('connect twice is a conflict; disconnect twice is not found', () => {
    const connected = run(initialIntegration('i1'), connectGithub).state;
    expect(run(connected, connectGithub).error).toMatchObject({
      kind: 'conflict',
      code: 'already_connected',
    });
    const disconnected = run(connected, { kind: 'disconnect', reason: null }).state;
    expect(disconnected.status).toBe('disconnected');
    expect(run(disconnected, { kind: 'disconnect', reason: null }).error).toMatchObject({
      kind: 'not_found',
    });
    expect(run(initialIntegration('x'), { kind: 'disconnect', reason: null }).error?.code).toBe(
      'not_connected',
    );
  });

  test('credentials leave decide beside the event data, never inside it', () => {
    const creds = { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/r' };
    const decision = decideIntegration(
      initialIntegration('i2'),
      {
        kind: 'create',
        provider: ecr,
        profileName: 'p',
        config: {},
        credentials: creds,
        settings: {},
      },
      now,
    );
    expect(decision.ok && decision.events[0]!.credentials).toEqual(creds);
    expect(JSON.stringify(decision.ok && decision.events[0]!.data)).not.toContain('us-east-1');
  });

  test('update validates merged credentials; unchanged input appends nothing', () => {
    const created = run(initialIntegration('i2'), {
      kind: 'create',
      provider: ecr,
      profileName: 'p',
      config: {},
      credentials: { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/r' },
      settings: {},
    }).state;
    expect(run(created, { kind: 'update', provider: ecr, profileName: 'p' }).events).toEqual([]);
    const bad = run(created, {
      kind: 'update',
      provider: ecr,
      credentials: { region: 'x', role_arn: 'y' },
    });
    expect(bad.error?.details).toEqual([
      { field: 'credentials.region', message: expect.any(String) },
      { field: 'credentials.role_arn', message: expect.any(String) },
    ]);
  });

  test('settings: registries only for container_app_scan_enabled; delete refused in broker mode, then allowed', () => {
    const gh = run(initialIntegration('i1'), connectGithub).state;
    expect(
      run(gh, {
        kind: 'updateSettings',
        provider: github,
        settings: { container_app_scan_enabled: true },
      }).error?.details,
    ).toEqual([
      {
        field: 'settings.container_app_scan_enabled',
        message: expect.stringMatching(/container registry/),
      },
    ]);
    const brokered = run(gh, {
      kind: 'updateSettings',
      provider: github,
      settings: { broker_enabled: true },
    }).state;
    expect(run(brokered, { kind: 'delete', orphanedTargets: 0 }).error?.code).toBe(
      'broker_enabled',
    );
    const deleted = run(gh, { kind: 'delete', orphanedTargets: 2 }).state;
    expect(deleted).toMatchObject({ deleted: true, hasCredentials: false });
    expect(run(deleted, connectGithub).error?.kind).toBe('not_found');
  });
});
