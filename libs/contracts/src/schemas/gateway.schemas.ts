import { z } from 'zod';
import type { ParkedMessage } from '../dead-letters.js';
import type { AuthInvalidated, ReadModelsChanged } from '../gateway-notices.js';
import type { GithubWebhookDelivery } from '../webhooks.js';
import type {
  ApiKeyIssuedData,
  ApiKeyRevokedData,
  MemberAddedData,
  MemberRemovedData,
  WorkspaceCreatedData,
} from '../workspace.js';
import { isoTime } from './common.schemas.js';
import { describes } from './proof.js';

export const workspaceEventSchemas = {
  WorkspaceCreated: describes<WorkspaceCreatedData>()(
    z.object({ workspaceId: z.string(), name: z.string(), createdAt: isoTime }),
  ),
  MemberAdded: describes<MemberAddedData>()(
    z.object({ memberId: z.string(), email: z.string(), role: z.string(), addedAt: isoTime }),
  ),
  MemberRemoved: describes<MemberRemovedData>()(
    z.object({
      memberId: z.string(),
      email: z.string(),
      role: z.string(),
      revokedKeyIds: z.array(z.string()),
      removedAt: isoTime,
    }),
  ),
  ApiKeyIssued: describes<ApiKeyIssuedData>()(
    z.object({
      keyId: z.string(),
      memberId: z.string(),
      name: z.string(),
      hint: z.string(),
      issuedAt: isoTime,
    }),
  ),
  ApiKeyRevoked: describes<ApiKeyRevokedData>()(
    z.object({
      keyId: z.string(),
      memberId: z.string(),
      name: z.string(),
      hint: z.string(),
      revokedAt: isoTime,
    }),
  ),
};

export const githubWebhookDeliverySchema = describes<GithubWebhookDelivery>()(
  z.object({
    deliveryId: z.string(),
    event: z.string(),
    action: z.string().nullable(),
    installationId: z.number().int().nullable(),
    integrationId: z.string().nullable(),
    hookId: z.string().nullable(),
    receivedAt: isoTime,
    payload: z.record(z.string(), z.unknown()),
    slimmed: z.boolean().optional(),
  }),
);

export const parkedMessageSchema = describes<ParkedMessage>()(
  z.object({
    consumer: z.string(),
    stream: z.string(),
    subject: z.string(),
    streamSeq: z.number().int(),
    messageId: z.string().nullable(),
    type: z.string().nullable(),
    workspaceId: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string(),
    parkedAt: isoTime,
    body: z.string(),
    trace: z.record(z.string(), z.string()).nullable(),
  }),
);

export const gatewayNoticeSchemas = {
  authInvalidated: describes<AuthInvalidated>()(
    z.object({
      tokenIds: z.array(z.string()).optional(),
      memberIds: z.array(z.string()).optional(),
    }),
  ),
  readModelsChanged: describes<ReadModelsChanged>()(
    z.object({
      replica: z.string(),
      position: z.string().regex(/^\d+$/),
      workspaceIds: z.array(z.string()),
    }),
  ),
};
