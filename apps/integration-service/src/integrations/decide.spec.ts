import { describe, expect, test } from '@jest/globals';
import {
  findProvider,
  type IntegrationConnectedData,
  type IntegrationCreatedData,
} from '#libs/contracts/src/index.js';
import { deciderSpecification } from '#libs/testing/src/decider-specification.js';
import type { IntegrationCommand } from './decide.js';
import { integrations } from './integration.decider.js';

const id = '00000000-0000-4000-8000-0000000000a1';
const now = '2026-01-01T00:00:00.000Z';
const spec = deciderSpecification(integrations, { id, now });
const github = findProvider('github')!;
const ecr = findProvider('ecr')!;
const ecrCredentials = { region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/r' };

const connectGithub: IntegrationCommand = {
  kind: 'connect',
  provider: github,
  config: { installationId: '1', accountLogin: 'acme' },
  credentials: null,
};
const githubConnected: IntegrationConnectedData = {
  integrationId: id,
  provider: 'github',
  kind: 'scm',
  profileName: 'GitHub (acme)',
  config: { installationId: '1', accountLogin: 'acme' },
  settings: { broker_enabled: false },
  hasCredentials: false,
  firstConnect: true,
  connectedAt: '2025-12-01T00:00:00.000Z',
};
const connected = { type: 'IntegrationConnected', data: githubConnected } as const;
const disconnected = {
  type: 'IntegrationDisconnected',
  data: { integrationId: id, provider: 'github', reason: null, disconnectedAt: now },
} as const;
const ecrCreated: IntegrationCreatedData = {
  integrationId: id,
  provider: 'ecr',
  kind: 'container-registry',
  profileName: 'p',
  config: {},
  settings: { broker_enabled: false, container_app_scan_enabled: false },
  hasCredentials: true,
  status: 'connected',
  createdAt: '2025-12-01T00:00:00.000Z',
};
const created = { type: 'IntegrationCreated', data: ecrCreated } as const;

describe('connect', () => {
  test('the first connect connects with the default profile name and settings', () =>
    spec
      .given([])
      .when(connectGithub)
      .then([{ type: 'IntegrationConnected', data: { ...githubConnected, connectedAt: now } }]));

  test('a connected integration refuses a second connect', () =>
    spec
      .given([connected])
      .when(connectGithub)
      .thenFails({
        kind: 'conflict',
        code: 'already_connected',
        details: { integrationId: id },
      }));

  test('a reconnect keeps the profile name and settings and is not a first connect', () =>
    spec
      .given([
        connected,
        {
          type: 'IntegrationSettingsUpdated',
          data: {
            integrationId: id,
            provider: 'github',
            settings: { broker_enabled: true },
            changed: ['broker_enabled'],
            updatedAt: now,
          },
        },
        disconnected,
      ])
      .when({ ...connectGithub, config: { installationId: '2', accountLogin: 'acme' } })
      .then([
        {
          type: 'IntegrationConnected',
          data: {
            ...githubConnected,
            config: { installationId: '2', accountLogin: 'acme' },
            settings: { broker_enabled: true },
            firstConnect: false,
            connectedAt: now,
          },
        },
      ]));

  test('a deleted integration is gone for every later command', () =>
    spec
      .given([
        connected,
        {
          type: 'IntegrationDeleted',
          data: {
            integrationId: id,
            provider: 'github',
            credentialsShredded: true,
            orphanedTargets: 0,
            deletedAt: now,
          },
        },
      ])
      .when(connectGithub)
      .thenFails({ kind: 'not_found', code: 'integration_not_found' }));
});

describe('disconnect', () => {
  test('a connected integration disconnects, with the reason', () =>
    spec
      .given([connected])
      .when({ kind: 'disconnect', reason: 'rotating keys' })
      .then([
        {
          type: 'IntegrationDisconnected',
          data: {
            integrationId: id,
            provider: 'github',
            reason: 'rotating keys',
            disconnectedAt: now,
          },
        },
      ]));

  test('a disconnected integration refuses a second disconnect', () =>
    spec
      .given([connected, disconnected])
      .when({ kind: 'disconnect', reason: null })
      .thenFails({ kind: 'not_found', code: 'not_connected' }));

  test('an integration never connected is not connected', () =>
    spec
      .given([])
      .when({ kind: 'disconnect', reason: null })
      .thenFails({ kind: 'not_found', code: 'not_connected' }));
});

describe('create and update', () => {
  test('credentials leave decide as the secret beside the event, never inside its data', () =>
    spec
      .given([])
      .when({
        kind: 'create',
        provider: ecr,
        profileName: 'p',
        config: {},
        credentials: ecrCredentials,
        settings: {},
      })
      .then([
        {
          type: 'IntegrationCreated',
          data: { ...ecrCreated, createdAt: now },
          secret: ecrCredentials,
        },
      ]));

  test('an update that changes nothing appends nothing', () =>
    spec.given([created]).when({ kind: 'update', provider: ecr, profileName: 'p' }).thenNothing());

  test('an update validates the merged credentials field by field', () =>
    spec
      .given([created])
      .when({ kind: 'update', provider: ecr, credentials: { region: 'x', role_arn: 'y' } })
      .thenFails({
        kind: 'validation',
        code: 'invalid_credentials',
        details: [
          { field: 'credentials.region', message: expect.any(String) },
          { field: 'credentials.role_arn', message: expect.any(String) },
        ],
      }));

  test('rotated credentials are sealed, the event only says they changed', () =>
    spec
      .given([created])
      .when({
        kind: 'update',
        provider: ecr,
        credentials: { ...ecrCredentials, region: 'eu-west-1' },
      })
      .then([
        {
          type: 'IntegrationUpdated',
          data: {
            integrationId: id,
            provider: 'ecr',
            changed: ['credentials'],
            profileName: 'p',
            hasCredentials: true,
            updatedAt: now,
          },
          secret: { ...ecrCredentials, region: 'eu-west-1' },
        },
      ]));
});

describe('settings and delete', () => {
  test('container_app_scan_enabled belongs to container registries only', () =>
    spec
      .given([connected])
      .when({
        kind: 'updateSettings',
        provider: github,
        settings: { container_app_scan_enabled: true },
      })
      .thenFails({
        kind: 'validation',
        details: [
          {
            field: 'settings.container_app_scan_enabled',
            message: expect.stringMatching(/container registry/),
          },
        ],
      }));

  test('delete is refused while broker mode is on', () =>
    spec
      .given([
        connected,
        {
          type: 'IntegrationSettingsUpdated',
          data: {
            integrationId: id,
            provider: 'github',
            settings: { broker_enabled: true },
            changed: ['broker_enabled'],
            updatedAt: now,
          },
        },
      ])
      .when({ kind: 'delete', orphanedTargets: 0 })
      .thenFails({ kind: 'conflict', code: 'broker_enabled' }));

  test('delete shreds the credentials and counts what it orphans', () =>
    spec
      .given([connected])
      .when({ kind: 'delete', orphanedTargets: 2 })
      .then([
        {
          type: 'IntegrationDeleted',
          data: {
            integrationId: id,
            provider: 'github',
            credentialsShredded: true,
            orphanedTargets: 2,
            deletedAt: now,
          },
        },
      ]));
});

describe('evolve', () => {
  test('a connect makes a connected integration of the workspace that appended it', () =>
    spec.given([connected]).thenState({
      exists: true,
      status: 'connected',
      profileName: 'GitHub (acme)',
      workspaceId: 'workspace-1',
      version: 1,
    }));

  test('a delete leaves a deleted integration without credentials', () =>
    spec
      .given([
        created,
        {
          type: 'IntegrationDeleted',
          data: {
            integrationId: id,
            provider: 'ecr',
            credentialsShredded: true,
            orphanedTargets: 0,
            deletedAt: now,
          },
        },
      ])
      .thenState({ deleted: true, status: 'disconnected', hasCredentials: false, version: 2 }));
});
