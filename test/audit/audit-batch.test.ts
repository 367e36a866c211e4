import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createEnvelope } from '#libs/contracts/src/index.js';
import type { DataSource } from 'typeorm';
import { writeAuditBatch } from '../../apps/api-gateway/src/audit/audit.projection.js';
import { gatewaySchema } from '../support/gateway-schema.js';

/**
 * The audit projection writes a batch in one statement. What an entry takes from an earlier
 * one (a policy's kind, an uninstall's actor label) must come out the same whether the earlier
 * entry is in the same batch or was written by a batch before it.
 */
describe('audit batches', () => {
  let schema: Awaited<ReturnType<typeof gatewaySchema>>;
  let dataSource: DataSource;
  let position = 0;
  let seq = 0;

  const event = (
    workspaceId: string,
    type: string,
    data: Record<string, unknown>,
    actor: string,
  ) => ({ ...createEnvelope({ type, data, workspaceId, actor }), position: String(++position) });
  const member = randomUUID();
  /** A policy created by a member, then the uninstall behind its disabling, then the disabling. */
  const story = (workspaceId: string) => {
    const ruleId = randomUUID();
    const created = event(
      workspaceId,
      'RuleCreated',
      { ruleId, kind: 'policy', name: 'max PR size', providers: ['github'], enabled: true },
      member,
    );
    const uninstall = event(
      workspaceId,
      'IntegrationDisconnected',
      { integrationId: randomUUID(), provider: 'github', reason: 'github_app_uninstalled' },
      'github-webhook',
    );
    const disabled = event(
      workspaceId,
      'RuleDisabled',
      {
        ruleId,
        reason: 'integration_disconnected',
        message: 'GitHub went away',
        causeEventId: uninstall.id,
      },
      'github-webhook',
    );
    return [created, uninstall, disabled];
  };
  const write = (events: ReturnType<typeof story>) =>
    writeAuditBatch(dataSource, events, {
      projection: 'audit-batch-test',
      position: String(position),
      streamSeq: ++seq,
    });
  const entries = (workspaceId: string) =>
    dataSource.query(
      `SELECT resource_type, action, actor_label FROM gateway.audit_log
        WHERE workspace_id = $1 ORDER BY sort_key`,
      [workspaceId],
    );

  beforeAll(async () => {
    schema = await gatewaySchema('audit_batch');
    dataSource = schema.dataSource;
  });

  afterAll(async () => {
    await schema?.dispose();
  });

  test('in one batch or in three, a disabled policy is a policy and names the uninstall', async () => {
    // Given the same story for two workspaces
    const together = randomUUID();
    const apart = randomUUID();
    // When one is written as one batch and the other an event per batch
    await write(story(together));
    for (const one of story(apart)) await write([one]);
    // Then both logs read the same, and the disabling carries its cause's label
    const expected = [
      { resource_type: 'policy', action: 'policy_created', actor_label: null },
      {
        resource_type: 'integration',
        action: 'disconnected',
        actor_label: expect.stringMatching(/uninstall/i),
      },
      {
        resource_type: 'policy',
        action: 'policy_disabled',
        actor_label: expect.stringMatching(/uninstall/i),
      },
    ];
    expect(await entries(together)).toEqual(expected);
    expect(await entries(apart)).toEqual(expected);
  });

  test('a batch records its checkpoint with its entries, and a replay adds nothing', async () => {
    // Given a story written once
    const workspaceId = randomUUID();
    const events = story(workspaceId);
    await write(events);
    // When the same batch comes again
    await write(events);
    // Then each entry is there once, and the checkpoint moved with the batch
    expect(await entries(workspaceId)).toHaveLength(3);
    const [checkpoint] = await dataSource.query(
      `SELECT stream_seq FROM gateway.projection_checkpoints WHERE projection = 'audit-batch-test'`,
    );
    expect(Number(checkpoint.stream_seq)).toBe(seq);
  });
});
