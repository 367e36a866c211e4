import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { IntegrationSubjects as S, type IntegrationView } from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { runAdmin } from '../../../scripts/admin/run-admin.js';
import { keysRotate } from '../../../scripts/admin/keys-rotate.js';
import {
  CredentialVault,
  DATA_KEYS_TABLE,
  type SealedCredentials,
} from '../src/credentials/credential-vault.js';
import { MasterKeyring } from '../src/credentials/master-keyring.js';
import { integrationService } from '../src/service.js';
import { PG_POOL } from '../src/write-side/write-side.module.js';
import type pg from 'pg';
import { startHarness, value, type Harness } from './support/harness.js';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2'];
const credentialsOf = (n: number, round: number) => ({
  region: REGIONS[round % REGIONS.length]!,
  role_arn: `arn:aws:iam::${String(100000000000 + n)}:role/scanner-${n}`,
});

/** Every integration's newest sealed credentials, opened with `vault`. */
async function openAll(h: Harness, pool: pg.Pool, vault: CredentialVault) {
  const rows = await h.db.query<{ stream_id: string; sealed: SealedCredentials }>(
    `SELECT DISTINCT ON (stream_id) stream_id, sealed FROM integration.events
      WHERE sealed IS NOT NULL ORDER BY stream_id, stream_version DESC`,
  );
  const opened = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const id = row.stream_id.replace(/^integration-/, '');
    opened.set(id, await vault.open(pool, id, row.sealed));
  }
  return opened;
}

describe('rotating the credentials master key', () => {
  let h: Harness;
  let rotating: RunningService | undefined;
  const oldKey = randomBytes(32).toString('base64');
  const newKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    h = await startHarness({ CREDENTIALS_MASTER_KEY: oldKey });
  });

  afterAll(async () => {
    await rotating?.close();
    await h?.close();
  });

  test('given data keys under the old key, when keys:rotate runs under write load, then every credential opens with the new key alone and none is lost', async () => {
    // Given: integrations created under CREDENTIALS_MASTER_KEY (a ring of one, id "primary").
    const expected = new Map<string, Record<string, unknown>>();
    const create = async (n: number) => {
      const credentials = credentialsOf(n, 0);
      const created = value(
        await h.send<IntegrationView>(S.create, {
          integration_type: 'ecr',
          profile_name: `registry ${n}`,
          credentials,
        }),
      );
      expected.set(created.id, credentials);
      return created.id;
    };
    const ids: string[] = [];
    for (let n = 0; n < 250; n++) ids.push(await create(n));
    expect(await h.db.query(`SELECT DISTINCT key_id FROM ${DATA_KEYS_TABLE}`)).toEqual([
      { key_id: 'primary' },
    ]);

    // The service restarts with the ring: the new key first (current), the old one after it.
    const ring = `next:${newKey},primary:${oldKey}`;
    const { CREDENTIALS_MASTER_KEY: _single, ...rest } = h.env;
    await h.service.close();
    rotating = await startService(integrationService, { ...rest, CREDENTIALS_MASTER_KEYS: ring });

    // When: writers create integrations and replace credentials while keys:rotate runs.
    let rotated = false;
    let writes = 0;
    const writer = async (offset: number) => {
      for (let round = 1; ; round++) {
        // Once the rotation is over, each writer finishes one more full round, then stops.
        const last = rotated;
        for (let i = offset; i < ids.length; i += 4) {
          const credentials = credentialsOf(i, round);
          value(await h.send<IntegrationView>(S.update, { integrationId: ids[i], credentials }));
          expected.set(ids[i]!, credentials);
          writes++;
          if (i % 40 === offset) await create(10_000 + writes);
        }
        if (last) return;
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    // Rotation starts once the writers are under way.
    while (writes < 20) await new Promise((r) => setTimeout(r, 10));
    const out: string[] = [];
    const err: string[] = [];
    const writesBefore = writes;
    const code = await runAdmin([keysRotate], ['keys:rotate'], {
      env: { DATABASE_URL: h.db.url, CREDENTIALS_MASTER_KEYS: ring },
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    const writesDuringRotation = writes - writesBefore;
    rotated = true;
    await Promise.all(writers);

    // Then: the command reports every data key on the new key.
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(out[0]!);
    expect(report.currentKeyId).toBe('next');
    expect(report.rewrapped).toBeGreaterThan(0);
    expect(report.rewrapped).toBeLessThanOrEqual(250);
    expect(writesDuringRotation).toBeGreaterThan(0);

    // No data key is left on the old key, whether rotated or written during the rotation.
    const keyIds = await h.db.query<{ key_id: string; count: string }>(
      `SELECT key_id, count(*)::text AS count FROM ${DATA_KEYS_TABLE} GROUP BY key_id`,
    );
    expect(keyIds).toEqual([{ key_id: 'next', count: String(expected.size) }]);

    // A vault that holds only the new key opens every integration's newest credentials, and
    // each is what was written last: nothing lost, nothing stale.
    const newOnly = new CredentialVault(
      new MasterKeyring([{ id: 'next', key: Buffer.from(newKey, 'base64') }]),
      DATA_KEYS_TABLE,
    );
    const pool = rotating.app.get<pg.Pool>(PG_POOL);
    const opened = await openAll(h, pool, newOnly);
    expect(opened.size).toBe(expected.size);
    for (const [id, credentials] of expected) expect(opened.get(id)).toEqual(credentials);

    // The old key alone opens nothing any more.
    const oldOnly = new CredentialVault(
      new MasterKeyring([{ id: 'primary', key: Buffer.from(oldKey, 'base64') }]),
      DATA_KEYS_TABLE,
    );
    await expect(openAll(h, pool, oldOnly)).rejects.toThrow(/master key "next"/);
  }, 180_000);

  test('given both CREDENTIALS_MASTER_KEY and a ring, or a published sample key, then the service refuses to start', async () => {
    const base = { NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://x@127.0.0.1:1/x' };
    await expect(
      startService(integrationService, {
        ...base,
        CREDENTIALS_MASTER_KEY: oldKey,
        CREDENTIALS_MASTER_KEYS: `next:${newKey}`,
      }),
    ).rejects.toThrow(/CREDENTIALS_MASTER_KEYS and CREDENTIALS_MASTER_KEY are both set/);
    await expect(
      startService(integrationService, {
        ...base,
        CREDENTIALS_MASTER_KEY: 'c2V0LWEtcmVhbC1rZXktYmVmb3JlLXByb2R1Y3Rpb24=',
      }),
    ).rejects.toThrow(/CREDENTIALS_MASTER_KEY is invalid: is a published sample key/);
    await expect(
      startService(integrationService, {
        ...base,
        CREDENTIALS_MASTER_KEYS: `next:${newKey},old:${Buffer.alloc(32).toString('base64')}`,
      }),
    ).rejects.toThrow(/key "old" is a published sample key/);
  });
});
