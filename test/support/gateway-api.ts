import type { DataSource } from 'typeorm';
import { WorkspaceStore } from '../../apps/api-gateway/src/auth/index.js';
import { authorize, readResponse } from './http.js';
import type { Stack } from './stack.js';

/** A small HTTP client for the gateway: JSON in and out, a key per call. */
export function client(baseUrl: string) {
  return async function call(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
    } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    authorize(headers, options.token);
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return readResponse(await fetch(`${baseUrl}${path}`, { method, headers, body }));
  };
}

export interface Team {
  workspaceId: string;
  owner: string;
  admin: string;
  member: string;
  viewer: string;
  memberIds: Record<'owner' | 'admin' | 'member' | 'viewer', string>;
}

/** A workspace with one member per role, each with a key, made the way the admin CLI does. */
export async function createTeam(stackOrDs: Stack | DataSource, name = 'acme'): Promise<Team> {
  const dataSource = 'gateway' in stackOrDs ? stackOrDs.gateway.infra.dataSource : stackOrDs;
  const store = new WorkspaceStore(dataSource);
  const owner = await store.createWorkspace(name, `owner@${name}.io`);
  const ids = { owner: owner.memberId } as Team['memberIds'];
  const tokens: Partial<Record<keyof Team['memberIds'], string>> = { owner: owner.token };
  for (const role of ['admin', 'member', 'viewer'] as const) {
    const issued = await store.addMember(owner.workspaceId, `${role}@${name}.io`, role);
    ids[role] = issued.memberId;
    tokens[role] = issued.token;
  }
  return {
    workspaceId: owner.workspaceId,
    owner: tokens.owner!,
    admin: tokens.admin!,
    member: tokens.member!,
    viewer: tokens.viewer!,
    memberIds: ids,
  };
}
