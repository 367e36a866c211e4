import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  apiKeyStreamId,
  memberStreamId,
  WorkspaceEventTypes as E,
  workspaceStreamId,
} from '#libs/contracts/src/index.js';
import { ApiError } from '../errors/api-error.js';
import { isRole, permissionsOf, type AuthContext, type Role } from './roles.js';
import { generateTokenSecret, hashTokenSecret, tokenHint } from './token-secret.js';
import { adminCli, WorkspaceEventLog, type ChangeContext } from './workspace-event-log.js';

export interface Member {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  memberId: string;
  hint: string;
  createdAt: string;
  revokedAt: string | null;
}

/** A member with a brand-new key: the only moment the key exists outside its owner's hands. */
export interface IssuedCredentials {
  workspaceId: string;
  memberId: string;
  tokenId: string;
  token: string;
}

/** A change in progress: its transaction, who makes it, and the moment it happens. */
interface Change {
  tx: EntityManager;
  by: ChangeContext;
  workspaceId: string;
  now: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Workspaces, members and API tokens in schema `gateway`. Used by the HTTP API and by the admin
 * CLI alike, so both enforce the same rules. Keys are stored as SHA-256 hashes only. Every change
 * appends its event to the gateway's log in the same transaction (`WorkspaceEventLog`), so the
 * audit log misses none, whoever made it.
 */
export class WorkspaceStore {
  readonly log: WorkspaceEventLog;

  constructor(private readonly dataSource: DataSource) {
    this.log = new WorkspaceEventLog(dataSource);
  }

  /** One transaction that changes members or keys and records it; tells the publisher after. */
  private async change<T>(
    workspaceId: string,
    by: ChangeContext,
    work: (change: Change) => Promise<T>,
  ): Promise<T> {
    const result = await this.dataSource.transaction((tx) =>
      work({ tx, by, workspaceId, now: new Date().toISOString() }),
    );
    this.log.committed();
    return result;
  }

  async createWorkspace(
    name: string,
    ownerEmail: string,
    by: ChangeContext = adminCli(),
  ): Promise<IssuedCredentials> {
    if (!name.trim()) throw ApiError.validation([{ field: 'name', message: 'must not be empty' }]);
    checkEmail(ownerEmail);
    const workspaceId = randomUUID();
    return this.change(workspaceId, by, async (change) => {
      await change.tx.query(`INSERT INTO gateway.workspaces (id, name) VALUES ($1, $2)`, [
        workspaceId,
        name.trim(),
      ]);
      await this.log.append(change.tx, by, {
        workspaceId,
        streamId: workspaceStreamId(workspaceId),
        expectedVersion: 0,
        type: E.workspaceCreated,
        data: { workspaceId, name: name.trim(), createdAt: change.now },
        occurredAt: change.now,
      });
      const memberId = await this.insertMember(change, ownerEmail, 'owner');
      return { workspaceId, memberId, ...(await this.insertToken(change, memberId, 'owner')) };
    });
  }

  async workspaceExists(workspaceId: string): Promise<boolean> {
    if (!isUuid(workspaceId)) return false;
    const rows = await this.dataSource.query(`SELECT 1 FROM gateway.workspaces WHERE id = $1`, [
      workspaceId,
    ]);
    return rows.length > 0;
  }

  /** A new member and a first key for them. */
  async addMember(
    workspaceId: string,
    email: string,
    role: string,
    by: ChangeContext = adminCli(),
  ): Promise<IssuedCredentials> {
    checkEmail(email);
    if (!isRole(role)) {
      throw ApiError.validation([
        { field: 'role', message: 'must be one of owner, admin, member, viewer' },
      ]);
    }
    if (!(await this.workspaceExists(workspaceId))) {
      throw new ApiError('not_found', 'workspace_not_found', `no workspace ${workspaceId}`);
    }
    return this.change(workspaceId, by, async (change) => {
      const memberId = await this.insertMember(change, email, role);
      return { workspaceId, memberId, ...(await this.insertToken(change, memberId, 'default')) };
    });
  }

  async listMembers(workspaceId: string): Promise<Member[]> {
    const rows = await this.dataSource.query(
      `SELECT id, email, role, created_at FROM gateway.members
        WHERE workspace_id = $1 ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(toMember);
  }

  async getMember(workspaceId: string, memberId: string): Promise<Member | undefined> {
    if (!isUuid(memberId)) return undefined;
    const rows = await this.dataSource.query(
      `SELECT id, email, role, created_at FROM gateway.members WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, memberId],
    );
    return rows[0] ? toMember(rows[0]) : undefined;
  }

  /** Removes a member and, by cascade, their keys; the last owner stays. */
  async removeMember(
    workspaceId: string,
    memberId: string,
    by: ChangeContext = adminCli(),
  ): Promise<string[]> {
    return this.change(workspaceId, by, async ({ tx, now }) => {
      // Lock the workspace's owners so two concurrent removals cannot both pass the check.
      const owners: { id: string }[] = await tx.query(
        `SELECT id FROM gateway.members WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`,
        [workspaceId],
      );
      const member: MemberRow | undefined = isUuid(memberId)
        ? (
            await tx.query(
              `SELECT id, email, role, created_at FROM gateway.members
                WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
              [workspaceId, memberId],
            )
          )[0]
        : undefined;
      if (!member) throw new ApiError('not_found', 'member_not_found', `no member ${memberId}`);
      if (member.role === 'owner' && owners.length === 1) {
        throw new ApiError('conflict', 'last_owner', 'a workspace keeps at least one owner');
      }
      const tokens: TokenRow[] = await tx.query(
        `SELECT id, name, member_id, hint, created_at, revoked_at FROM gateway.api_tokens
          WHERE member_id = $1 ORDER BY created_at, id`,
        [memberId],
      );
      await tx.query(`DELETE FROM gateway.members WHERE id = $1`, [memberId]);
      const live = tokens.filter((t) => t.revoked_at === null);
      const removed = await this.log.append(tx, by, {
        workspaceId,
        streamId: memberStreamId(memberId),
        expectedVersion: 1,
        type: E.memberRemoved,
        data: {
          memberId,
          email: member.email,
          role: member.role,
          revokedKeyIds: live.map((t) => t.id),
          removedAt: now,
        },
        occurredAt: now,
      });
      for (const token of live) {
        await this.log.append(tx, by, {
          workspaceId,
          streamId: apiKeyStreamId(token.id),
          expectedVersion: 1,
          type: E.apiKeyRevoked,
          data: {
            keyId: token.id,
            memberId,
            name: token.name,
            hint: token.hint,
            revokedAt: now,
          },
          occurredAt: now,
          causationId: removed.id,
        });
      }
      return tokens.map((t) => t.id);
    });
  }

  async issueToken(
    workspaceId: string,
    memberId: string,
    name: string,
    by: ChangeContext = adminCli(),
  ): Promise<IssuedCredentials> {
    return this.change(workspaceId, by, async (change) => {
      // Locks the member, so a removal cannot slip between the check and the new key.
      const member = isUuid(memberId)
        ? await change.tx.query(
            `SELECT 1 FROM gateway.members WHERE workspace_id = $1 AND id = $2 FOR SHARE`,
            [workspaceId, memberId],
          )
        : [];
      if (member.length === 0) {
        throw new ApiError(
          'not_found',
          'member_not_found',
          `no member ${memberId} in this workspace`,
        );
      }
      return { workspaceId, memberId, ...(await this.insertToken(change, memberId, name)) };
    });
  }

  async listTokens(workspaceId: string): Promise<TokenInfo[]> {
    const rows = await this.dataSource.query(
      `SELECT id, name, member_id, hint, created_at, revoked_at FROM gateway.api_tokens
        WHERE workspace_id = $1 ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(toTokenInfo);
  }

  /** Revokes a key of this workspace; revoking twice is harmless (and records nothing new). */
  async revokeToken(
    workspaceId: string,
    tokenId: string,
    by: ChangeContext = adminCli(),
  ): Promise<TokenInfo> {
    if (!isUuid(tokenId)) throw new ApiError('not_found', 'token_not_found', `no token ${tokenId}`);
    return this.change(workspaceId, by, async ({ tx, now }) => {
      const rows: TokenRow[] = await tx.query(
        `SELECT id, name, member_id, hint, created_at, revoked_at FROM gateway.api_tokens
          WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
        [workspaceId, tokenId],
      );
      const token = rows[0];
      if (!token) throw new ApiError('not_found', 'token_not_found', `no token ${tokenId}`);
      if (token.revoked_at !== null) return toTokenInfo(token);
      await tx.query(`UPDATE gateway.api_tokens SET revoked_at = $2 WHERE id = $1`, [tokenId, now]);
      await this.log.append(tx, by, {
        workspaceId,
        streamId: apiKeyStreamId(tokenId),
        expectedVersion: 1,
        type: E.apiKeyRevoked,
        data: {
          keyId: tokenId,
          memberId: token.member_id,
          name: token.name,
          hint: token.hint,
          revokedAt: now,
        },
        occurredAt: now,
      });
      return toTokenInfo({ ...token, revoked_at: now });
    });
  }

  /** The caller a live key belongs to, or undefined for an unknown or revoked key. */
  async authenticate(tokenHash: Buffer): Promise<AuthContext | undefined> {
    const rows = await this.dataSource.query(
      `SELECT t.id, t.workspace_id, t.member_id, m.role FROM gateway.api_tokens t
         JOIN gateway.members m ON m.id = t.member_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row || !isRole(row.role)) return undefined;
    return {
      workspaceId: row.workspace_id,
      memberId: row.member_id,
      role: row.role,
      permissions: permissionsOf(row.role),
      tokenId: row.id,
    };
  }

  private async insertMember(change: Change, email: string, role: Role): Promise<string> {
    const memberId = randomUUID();
    try {
      await change.tx.query(
        `INSERT INTO gateway.members (id, workspace_id, email, role) VALUES ($1, $2, $3, $4)`,
        [memberId, change.workspaceId, email.trim(), role],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ApiError('conflict', 'member_exists', `${email} is already a member`);
      }
      throw error;
    }
    await this.log.append(change.tx, change.by, {
      workspaceId: change.workspaceId,
      streamId: memberStreamId(memberId),
      expectedVersion: 0,
      type: E.memberAdded,
      data: { memberId, email: email.trim(), role, addedAt: change.now },
      occurredAt: change.now,
    });
    return memberId;
  }

  private async insertToken(change: Change, memberId: string, name: string) {
    const tokenId = randomUUID();
    const token = generateTokenSecret();
    const hint = tokenHint(token);
    await change.tx.query(
      `INSERT INTO gateway.api_tokens (id, workspace_id, member_id, name, token_hash, hint)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [tokenId, change.workspaceId, memberId, name, hashTokenSecret(token), hint],
    );
    await this.log.append(change.tx, change.by, {
      workspaceId: change.workspaceId,
      streamId: apiKeyStreamId(tokenId),
      expectedVersion: 0,
      type: E.apiKeyIssued,
      data: { keyId: tokenId, memberId, name, hint, issuedAt: change.now },
      occurredAt: change.now,
    });
    return { tokenId, token };
  }
}

function checkEmail(email: string): void {
  if (!EMAIL.test(email.trim())) {
    throw ApiError.validation([{ field: 'email', message: 'must be an email address' }]);
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

interface MemberRow {
  id: string;
  email: string;
  role: Role;
  created_at: Date | string;
}

function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

interface TokenRow {
  id: string;
  name: string;
  member_id: string;
  hint: string;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

function toTokenInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    memberId: row.member_id,
    hint: row.hint,
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
