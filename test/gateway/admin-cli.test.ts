import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PostgresFixture } from '#libs/testing/src/index.js';
import { runAdmin } from '../../scripts/admin/run-admin.js';
import { addMember, createWorkspace } from '../../scripts/admin/workspace-commands.js';
import { hashTokenSecret } from '../../apps/api-gateway/src/auth/index.js';

describe('npm run admin', () => {
  let db: PostgresFixture;
  const admin = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdmin([createWorkspace, addMember], argv, {
      env: { DATABASE_URL: db.url },
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    return { code, out, err };
  };

  beforeAll(async () => {
    db = await PostgresFixture.create('admin');
  });
  afterAll(async () => {
    await db?.dispose();
  });

  test('create-workspace on a fresh database migrates, then prints one JSON line', async () => {
    const r = await admin('create-workspace', 'Acme', '--owner', 'ceo@acme.io');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const printed = JSON.parse(r.out[0]!);
    expect(Object.keys(printed)).toEqual(['workspaceId', 'token']);
    expect(printed.token).toMatch(/^igw_[A-Za-z0-9_-]{43}$/);
    const [owner] = await db.query(
      `SELECT m.role, m.email, t.token_hash FROM gateway.members m
         JOIN gateway.api_tokens t ON t.member_id = m.id WHERE m.workspace_id = $1`,
      [printed.workspaceId],
    );
    expect(owner).toMatchObject({ role: 'owner', email: 'ceo@acme.io' });
    expect(owner.token_hash.equals(hashTokenSecret(printed.token))).toBe(true);

    const added = await admin('add-member', printed.workspaceId, 'dev@acme.io', '--role', 'viewer');
    expect(added.code).toBe(0);
    const member = JSON.parse(added.out[0]!);
    expect(member.workspaceId).toBe(printed.workspaceId);
    expect(member.token).not.toBe(printed.token);
    const [row] = await db.query(`SELECT role FROM gateway.members WHERE email = 'dev@acme.io'`);
    expect(row.role).toBe('viewer');
  });

  test('mistakes: usage exit 2, refused operations exit 1 with a JSON error', async () => {
    expect((await admin('create-workspace', 'Acme')).code).toBe(2);
    expect((await admin('add-member', 'x', 'y@z.io')).code).toBe(2);
    expect((await admin('frobnicate')).code).toBe(2);
    const role = await admin(
      'add-member',
      '00000000-0000-4000-8000-000000000000',
      'a@b.io',
      '--role',
      'king',
    );
    expect(role.code).toBe(1);
    expect(JSON.parse(role.err[0]!).error.details[0].field).toBe('role');
    const missing = await admin(
      'add-member',
      '00000000-0000-4000-8000-000000000000',
      'a@b.io',
      '--role',
      'admin',
    );
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.err[0]!).error.code).toBe('workspace_not_found');
  });
});
