import { describe, expect, test } from '@jest/globals';
import { createEnvelope } from '#libs/contracts/src/index.js';
import { deletionRecord } from '../../apps/api-gateway/src/rest/deletions.projection.js';

describe('the deletions read model', () => {
  const deleted = createEnvelope({
    type: 'IntegrationDeleted',
    workspaceId: '6b1d2c3e-0000-4000-8000-000000000001',
    data: {
      integrationId: '0f0e0d0c-0000-4000-8000-000000000002',
      provider: 'ecr',
      credentialsShredded: true,
      orphanedTargets: 3,
      deletedAt: '2026-11-23T10:00:00.000Z',
    },
  });

  test('keeps what a deletion orphaned, per org, from the event alone', () => {
    expect(deletionRecord(deleted)).toEqual({
      integrationId: '0f0e0d0c-0000-4000-8000-000000000002',
      workspaceId: '6b1d2c3e-0000-4000-8000-000000000001',
      integrationType: 'ecr',
      orphanedTargets: 3,
      deletedAt: '2026-11-23T10:00:00.000Z',
    });
  });

  test('ignores every other event', () => {
    expect(deletionRecord({ ...deleted, type: 'IntegrationUpdated' })).toBeUndefined();
    expect(deletionRecord({ ...deleted, workspaceId: null })).toBeUndefined();
  });
});
