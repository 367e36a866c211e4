import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../errors/api-error.js';
import { isRole, permissionsOf, type AuthContext, type Role } from './roles.js';
import { generateTokenSecret, hashTokenSecret, tokenHint } from './token-secret.js';

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

type Runner = Pick<EntityManager, 'query'>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Workspaces, members and API tokens in schema `gateway`. Used by the HTTP API and by the admin
 * CLI alike, so both enforce the same rules. Keys are stored as SHA-256 hashes only.
 */
export class WorkspaceStore {
  constructor(private readonly dataSource: DataSource) {}

  async createWorkspace(name: string, ownerEmail: string): Promise<IssuedCredentials> {
    if (!name.trim()) throw ApiError.validation([{ field: 'name', message: 'must not be empty' }]);
    checkEmail(ownerEmail);
    return this.dataSource.transaction(async (tx) => {
      const workspaceId = randomUUID();
      await tx.query(`INSERT INTO gateway.workspaces (id, name) VALUES ($1, $2)`, [
        workspaceId,
        name.trim(),
      ]);
      const memberId = await insertMember(tx, workspaceId, ownerEmail, 'owner');
      return { workspaceId, memberId, ...(await insertToken(tx, workspaceId, memberId, 'owner')) };
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
  async addMember(workspaceId: string, email: string, role: string): Promise<IssuedCredentials> {
    checkEmail(email);
    if (!isRole(role)) {
      throw ApiError.validation([
        { field: 'role', message: 'must be one of owner, admin, member, viewer' },
      ]);
    }
    if (!(await this.workspaceExists(workspaceId))) {
      throw new ApiError('not_found', 'workspace_not_found', `no workspace ${workspaceId}`);
    }
    return this.dataSource.transaction(async (tx) => {
      const memberId = await insertMember(tx, workspaceId, email, role);
      return {
        workspaceId,
        memberId,
        ...(await insertToken(tx, workspaceId, memberId, 'default')),
      };
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
  async removeMember(workspaceId: string, memberId: string): Promise<string[]> {
    return this.dataSource.transaction(async (tx) => {
      // Lock the workspace's owners so two concurrent removals cannot both pass the check.
      const owners: { id: string }[] = await tx.query(
        `SELECT id FROM gateway.members WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE`,
        [workspaceId],
      );
      const member = isUuid(memberId)
        ? (
            await tx.query(
              `SELECT id, role FROM gateway.members WHERE workspace_id = $1 AND id = $2`,
              [workspaceId, memberId],
            )
          )[0]
        : undefined;
      if (!member) throw new ApiError('not_found', 'member_not_found', `no member ${memberId}`);
      if (member.role === 'owner' && owners.length === 1) {
        throw new ApiError('conflict', 'last_owner', 'a workspace keeps at least one owner');
      }
      const tokens: { id: string }[] = await tx.query(
        `SELECT id FROM gateway.api_tokens WHERE member_id = $1`,
        [memberId],
      );
      await tx.query(`DELETE FROM gateway.members WHERE id = $1`, [memberId]);
      return tokens.map((t) => t.id);
    });
  }

  async issueToken(
    workspaceId: string,
    memberId: string,
    name: string,
  ): Promise<IssuedCredentials> {
    if (!(await this.getMember(workspaceId, memberId))) {
      throw new ApiError(
        'not_found',
        'member_not_found',
        `no member ${memberId} in this workspace`,
      );
    }
    return {
      workspaceId,
      memberId,
      ...(await insertToken(this.dataSource.manager, workspaceId, memberId, name)),
    };
  }

  async listTokens(workspaceId: string): Promise<TokenInfo[]> {
    const rows = await this.dataSource.query(
      `SELECT id, name, member_id, hint, created_at, revoked_at FROM gateway.api_tokens
        WHERE workspace_id = $1 ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(toTokenInfo);
  }

  /** Revokes a key of this workspace; revoking twice is harmless. */
  async revokeToken(workspaceId: string, tokenId: string): Promise<TokenInfo> {
    if (!isUuid(tokenId)) throw new ApiError('not_found', 'token_not_found', `no token ${tokenId}`);
    // A CTE so the driver hands back plain rows (a bare UPDATE returns [rows, count]).
    const rows = await this.dataSource.query(
      `WITH revoked AS (
         UPDATE gateway.api_tokens SET revoked_at = coalesce(revoked_at, now())
          WHERE workspace_id = $1 AND id = $2
          RETURNING id, name, member_id, hint, created_at, revoked_at)
       SELECT * FROM revoked`,
      [workspaceId, tokenId],
    );
    if (!rows[0]) throw new ApiError('not_found', 'token_not_found', `no token ${tokenId}`);
    return toTokenInfo(rows[0]);
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
}

async function insertMember(tx: Runner, workspaceId: string, email: string, role: Role) {
  const memberId = randomUUID();
  try {
    await tx.query(
      `INSERT INTO gateway.members (id, workspace_id, email, role) VALUES ($1, $2, $3, $4)`,
      [memberId, workspaceId, email.trim(), role],
    );
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ApiError('conflict', 'member_exists', `${email} is already a member`);
    }
    throw error;
  }
  return memberId;
}

async function insertToken(tx: Runner, workspaceId: string, memberId: string, name: string) {
  const tokenId = randomUUID();
  const token = generateTokenSecret();
  await tx.query(
    `INSERT INTO gateway.api_tokens (id, workspace_id, member_id, name, token_hash, hint)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [tokenId, workspaceId, memberId, name, hashTokenSecret(token), tokenHint(token)],
  );
  return { tokenId, token };
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
