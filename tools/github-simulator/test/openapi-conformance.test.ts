import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createAppAuth } from '@octokit/auth-app';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { startGithubSimulator, type GithubSimulator } from '../src/server.js';

/**
 * Every REST answer the simulator gives, checked against the response schema GitHub's published
 * OpenAPI description gives for that operation and status (fixtures/github-openapi.json, see
 * fixtures/SOURCES.md): required fields present, types and enums as GitHub defines them.
 */
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/github-openapi.json', import.meta.url), 'utf8'),
) as { operations: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };

/**
 * OpenAPI 3.0 schemas: Ajv reads `nullable` beside a `type`; beside `anyOf`/`allOf` alone (which
 * OpenAPI allows) it is spelled here as "or null", and beside an `enum` null joins the values
 * (GitHub sends a check run's `conclusion` null until it completes). `example` and `x-*` are
 * annotations.
 */
function openapiToAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openapiToAjv);
  if (!node || typeof node !== 'object') return node;
  const schema = Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, openapiToAjv(v)]),
  );
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
    schema.enum = [...schema.enum, null];
  }
  if (schema.nullable === true && schema.type === undefined) {
    const { nullable: _nullable, ...rest } = schema;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return schema;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema(
  openapiToAjv({
    $id: 'github.json',
    components: { schemas: fixture.schemas },
    ...fixture,
  }) as object,
  'github',
);

/** Each distinct error once (the same error on every item of a list is one). */
function distinct(errors: Array<{ instancePath: string; message?: string }>): string[] {
  return [...new Set(errors.map((e) => `${e.instancePath.replace(/\/\d+/g, '/*')}: ${e.message}`))];
}

function validatorFor(operation: string, status: number) {
  const pointer = operation.replace(/~/g, '~0').replace(/\//g, '~1');
  if (!fixture.operations[operation]?.[String(status)]) {
    throw new Error(`GitHub's description has no ${status} answer for ${operation}`);
  }
  return ajv.compile({ $ref: `github.json#/operations/${pointer}/${status}` });
}

describe("the simulator's REST answers follow GitHub's OpenAPI description", () => {
  let sim: GithubSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startGithubSimulator({ repos: 120, seed: 7 });
    const auth = createAppAuth({
      appId: sim.appId,
      privateKey: sim.privateKeyPem,
      installationId: sim.installationId,
      request: (await import('@octokit/request')).request.defaults({ baseUrl: sim.url }),
    });
    token = (await auth({ type: 'installation' })).token;
  });
  afterAll(() => sim.close());

  const get = async (path: string) => {
    const response = await fetch(`${sim.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  /**
   * Given a request, when the simulator answers, then the answer matches GitHub's schema; a GET
   * unless `operation` names its method and `write` gives the body.
   */
  const conforms = async (
    operation: string,
    path: string,
    status = 200,
    write?: unknown,
  ): Promise<any> => {
    const method = operation.includes(' ') ? operation.split(' ')[0]! : 'GET';
    const answer = method === 'GET' ? await get(path) : await send(method, path, write ?? {});
    expect({ path, status: answer.status }).toEqual({ path, status });
    const validate = validatorFor(operation, status);
    const valid = validate(answer.body);
    expect({ path, errors: valid ? [] : distinct(validate.errors ?? []) }).toEqual({
      path,
      errors: [],
    });
    return answer.body;
  };

  test('organization, its settings, owners, Actions permissions and webhooks', async () => {
    const org = await conforms('/orgs/{org}', '/orgs/acme');
    expect(org).toMatchObject({
      two_factor_requirement_enabled: false,
      default_repository_permission: 'write',
      members_can_create_public_repositories: true,
    });
    const owners = await conforms('/orgs/{org}/members', '/orgs/acme/members?role=admin');
    expect(owners.map((u: { login: string }) => u.login)).toEqual(sim.org.settings.owners);
    await conforms('/orgs/{org}/members', '/orgs/acme/members?per_page=100');
    await conforms('/orgs/{org}/actions/permissions', '/orgs/acme/actions/permissions');
    await conforms(
      '/orgs/{org}/actions/permissions/workflow',
      '/orgs/acme/actions/permissions/workflow',
    );
    const hooks = await conforms('/orgs/{org}/hooks', '/orgs/acme/hooks');
    // A secret is masked, never shown; a hook without one has none.
    expect(hooks.map((h: { config: object }) => h.config)).toEqual([
      expect.objectContaining({ secret: '********', insecure_ssl: '0' }),
      expect.not.objectContaining({ secret: expect.anything() }),
      expect.objectContaining({ secret: '********', insecure_ssl: '1' }),
    ]);
  });

  test('organization rulesets, listed and one by one', async () => {
    const list = await conforms('/orgs/{org}/rulesets', '/orgs/acme/rulesets');
    expect(list.map((r: { enforcement: string }) => r.enforcement)).toEqual([
      'active',
      'evaluate',
      'disabled',
      'active',
    ]);
    for (const { id } of list) {
      const ruleset = await conforms(
        '/orgs/{org}/rulesets/{ruleset_id}',
        `/orgs/acme/rulesets/${id}`,
      );
      expect(ruleset.conditions.ref_name.include.length).toBeGreaterThan(0);
    }
    await conforms('/orgs/{org}/rulesets/{ruleset_id}', '/orgs/acme/rulesets/424242', 404);
  });

  test('repositories: full, listed, collaborators and teams', async () => {
    const licensed = sim.org.repos.find((r) => r.license)!;
    const full = await conforms('/repos/{owner}/{repo}', `/repos/acme/${licensed.name}`);
    expect(full.license).toMatchObject({ spdx_id: 'MIT' });
    await conforms('/repos/{owner}/{repo}', '/repos/acme/no-such-repo', 404);
    await conforms('/orgs/{org}/repos', '/orgs/acme/repos?per_page=100');
    await conforms('/installation/repositories', '/installation/repositories?per_page=100');
    await conforms('/orgs/{org}/teams', '/orgs/acme/teams');
    await conforms('/orgs/{org}/teams/{team_slug}/repos', '/orgs/acme/teams/platform/repos');
    await conforms('/orgs/{org}/outside_collaborators', '/orgs/acme/outside_collaborators');
    const withCollaborators = sim.org.repos.find((r) => r.collaborators.length > 0)!;
    await conforms(
      '/repos/{owner}/{repo}/collaborators',
      `/repos/acme/${withCollaborators.name}/collaborators?affiliation=direct`,
    );
    await conforms('/repos/{owner}/{repo}/teams', `/repos/acme/${withCollaborators.name}/teams`);
    await conforms('/rate_limit', '/rate_limit');
  });

  test('classic branch protection: 200 when protected, 404 "Branch not protected" when not', async () => {
    const guarded = sim.org.repos.find((r) => r.protection)!;
    const protection = await conforms(
      '/repos/{owner}/{repo}/branches/{branch}/protection',
      `/repos/acme/${guarded.name}/branches/${guarded.defaultBranch}/protection`,
    );
    expect(protection.enforce_admins.enabled).toBe(guarded.protection!.enforceAdmins);
    const open = sim.org.repos.find((r) => !r.protection)!;
    const missing = await conforms(
      '/repos/{owner}/{repo}/branches/{branch}/protection',
      `/repos/acme/${open.name}/branches/${open.defaultBranch}/protection`,
      404,
    );
    expect(missing.message).toBe('Branch not protected');
  });

  test('repository rulesets and the rules that apply to a branch', async () => {
    const rulesetOnly = sim.org.repos.find(
      (r) => !r.protection && r.rulesets?.some((s) => s.enforcement === 'active'),
    )!;
    expect(rulesetOnly).toBeDefined();
    const branch = rulesetOnly.defaultBranch;
    const rules = await conforms(
      '/repos/{owner}/{repo}/rules/branches/{branch}',
      `/repos/acme/${rulesetOnly.name}/rules/branches/${branch}`,
    );
    expect(rules.map((r: { type: string }) => r.type)).toEqual(
      expect.arrayContaining(['deletion', 'non_fast_forward', 'pull_request']),
    );
    const list = await conforms(
      '/repos/{owner}/{repo}/rulesets',
      `/repos/acme/${rulesetOnly.name}/rulesets`,
    );
    for (const { id } of list) {
      await conforms(
        '/repos/{owner}/{repo}/rulesets/{ruleset_id}',
        `/repos/acme/${rulesetOnly.name}/rulesets/${id}`,
      );
    }
    // An organization ruleset targets payments-* repositories but not payments-sdk-*.
    const payments = sim.org.repos.find(
      (r) => r.name.startsWith('payments-') && !r.name.startsWith('payments-sdk-'),
    )!;
    const paymentRules = await conforms(
      '/repos/{owner}/{repo}/rules/branches/{branch}',
      `/repos/acme/${payments.name}/rules/branches/${payments.defaultBranch}`,
    );
    expect(paymentRules).toContainEqual(
      expect.objectContaining({ ruleset_source_type: 'Organization', ruleset_id: 900 }),
    );
    expect(paymentRules.some((r: { ruleset_id: number }) => r.ruleset_id === 901)).toBe(false);
  });

  test('check runs: created, completed, read and listed for a commit with its pull request', async () => {
    const repo = sim.org.repos[0]!.name;
    const made = await fetch(`${sim.url}/_simulator/repos/acme/${repo}/pulls`, {
      method: 'POST',
      body: JSON.stringify({ title: 'checked', additions: 1, deletions: 0 }),
    });
    const pull = (await made.json()) as { number: number; head: { sha: string } };
    const run = await conforms(
      'POST /repos/{owner}/{repo}/check-runs',
      `/repos/acme/${repo}/check-runs`,
      201,
      { name: 'build', head_sha: pull.head.sha, status: 'in_progress' },
    );
    expect(run).toMatchObject({ status: 'in_progress', conclusion: null, app: { id: sim.appId } });
    expect(run.pull_requests).toEqual([expect.objectContaining({ number: pull.number })]);
    const completed = await conforms(
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
      `/repos/acme/${repo}/check-runs/${run.id}`,
      200,
      { conclusion: 'failure', output: { title: 'Build', summary: '2 tests failed' } },
    );
    expect(completed).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(completed.completed_at).toEqual(expect.any(String));
    await conforms(
      '/repos/{owner}/{repo}/check-runs/{check_run_id}',
      `/repos/acme/${repo}/check-runs/${run.id}`,
    );
    expect((await get(`/repos/acme/${repo}/check-runs/424242`)).status).toBe(404);
    const list = await conforms(
      '/repos/{owner}/{repo}/commits/{ref}/check-runs',
      `/repos/acme/${repo}/commits/${pull.head.sha}/check-runs`,
    );
    expect(list).toMatchObject({ total_count: 1, check_runs: [{ id: run.id }] });
  });

  test('without the permission, GitHub answers 403 with its error body', async () => {
    sim.setPermissions({ metadata: 'read' });
    try {
      const hooks = await get('/orgs/acme/hooks');
      expect(hooks.status).toBe(403);
      expect(hooks.body.message).toBe('Resource not accessible by integration');
      const org = await conforms('/orgs/{org}', '/orgs/acme');
      expect(org.two_factor_requirement_enabled).toBeUndefined();
    } finally {
      sim.setPermissions({
        metadata: 'read',
        administration: 'read',
        members: 'read',
        organization_administration: 'read',
        organization_hooks: 'read',
      });
    }
  });
});
