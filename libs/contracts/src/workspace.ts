import type { Envelope } from './envelope.js';

/**
 * Workspaces, members and API keys: the gateway owns them (schema `gateway`) and records every
 * change as an event in its own log, in the same transaction as the change, published on
 * JetStream `WORKSPACE_EVENTS` (`workspace.evt.<kebab type>`) like the integration service's
 * events. Keys never travel: only their id, name and hint.
 */
export const WorkspaceEventTypes = {
  workspaceCreated: 'WorkspaceCreated',
  memberAdded: 'MemberAdded',
  memberRemoved: 'MemberRemoved',
  apiKeyIssued: 'ApiKeyIssued',
  apiKeyRevoked: 'ApiKeyRevoked',
} as const;

export interface WorkspaceCreatedData {
  workspaceId: string;
  name: string;
  createdAt: string;
}

export interface MemberAddedData {
  memberId: string;
  email: string;
  role: string;
  addedAt: string;
}

export interface MemberRemovedData {
  memberId: string;
  email: string;
  role: string;
  /** Keys of the member that were live and stopped working with the removal. */
  revokedKeyIds: string[];
  removedAt: string;
}

export interface ApiKeyIssuedData {
  keyId: string;
  memberId: string;
  name: string;
  /** The first characters of the key (`igw_abcd…`), as listings show it. */
  hint: string;
  issuedAt: string;
}

export interface ApiKeyRevokedData {
  keyId: string;
  memberId: string;
  name: string;
  hint: string;
  revokedAt: string;
}

export interface WorkspaceEventDataMap {
  WorkspaceCreated: WorkspaceCreatedData;
  MemberAdded: MemberAddedData;
  MemberRemoved: MemberRemovedData;
  ApiKeyIssued: ApiKeyIssuedData;
  ApiKeyRevoked: ApiKeyRevokedData;
}

export type WorkspaceEventType = keyof WorkspaceEventDataMap;
export type WorkspaceEvent = {
  [K in WorkspaceEventType]: Envelope<K, WorkspaceEventDataMap[K]>;
}[WorkspaceEventType];

/** Stream ids in the gateway's log: one stream per workspace, member and key. */
export const workspaceStreamId = (workspaceId: string) => `workspace-${workspaceId}`;
export const memberStreamId = (memberId: string) => `member-${memberId}`;
export const apiKeyStreamId = (keyId: string) => `api-key-${keyId}`;
