import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  buildSchema,
  execute,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { AppPermissions } from './representations.js';
import { nodeId } from './representations.js';
import type { SimOrg, SimRepo, SimRuleset } from './org.js';
import type { PullStore } from './pulls.js';
import { rulesetsOf } from './rulesets.js';
import type { RateBudget } from './rate-limit.js';

/**
 * GitHub's real public GraphQL schema (from `@octokit/graphql-schema`): a query the scanner sends
 * is validated against what GitHub would accept, field by field. Only the fields the platform
 * reads have resolvers; anything else resolves to null.
 */
let githubSchema: GraphQLSchema | undefined;
export function loadGithubSchema(): GraphQLSchema {
  if (!githubSchema) {
    // The package exports only its (eager, 5 MB JSON) entry point; read its SDL file directly.
    const searched = createRequire(import.meta.url).resolve.paths('@octokit/graphql-schema') ?? [];
    const path = searched
      .map((dir) => join(dir, '@octokit/graphql-schema/schema.graphql'))
      .find((candidate) => existsSync(candidate));
    if (!path) throw new Error('@octokit/graphql-schema is not installed');
    // GitHub's published SDL repeats two enterprise fields; the rest is valid, so skip the check.
    githubSchema = buildSchema(readFileSync(path, 'utf8'), { assumeValidSDL: true });
  }
  return githubSchema;
}

export interface GraphqlContext {
  org: SimOrg;
  base: string;
  permissions: AppPermissions;
  budget: RateBudget;
  cost: number;
  pulls?: PullStore;
}

export interface GraphqlResult {
  status: number;
  body: unknown;
}

const MAX_NODES = 100;

/** Runs one GraphQL request: parse, validate, price, charge the budget, then execute. */
export async function runGraphql(
  request: { query?: unknown; variables?: unknown; operationName?: unknown },
  context: Omit<GraphqlContext, 'cost'>,
): Promise<GraphqlResult> {
  const schema = loadGithubSchema();
  if (typeof request.query !== 'string') {
    return {
      status: 400,
      body: { message: 'A query attribute must be specified and must be a string.' },
    };
  }
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    return { status: 200, body: { errors: [{ message: (error as Error).message }] } };
  }
  const errors = validate(schema, document);
  if (errors.length > 0) {
    return {
      status: 200,
      body: { errors: errors.map((e) => ({ message: e.message, locations: e.locations })) },
    };
  }
  const variables = (request.variables ?? {}) as Record<string, unknown>;
  const cost = queryCost(document, variables);
  if (!context.budget.trySpend(cost)) {
    return {
      status: 200,
      body: {
        errors: [
          {
            type: 'RATE_LIMITED',
            code: 'graphql_rate_limit',
            message: 'API rate limit already exceeded for installation.',
          },
        ],
      },
    };
  }
  const result = await execute({
    schema,
    document,
    variableValues: variables,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    rootValue: queryRoot({ ...context, cost }),
  });
  return {
    status: 200,
    body: {
      ...(result.data ? { data: result.data } : {}),
      ...(result.errors
        ? {
            errors: result.errors.map((e) => ({
              type: (e.extensions?.type as string | undefined) ?? undefined,
              path: e.path,
              locations: e.locations,
              message: e.message,
            })),
          }
        : {}),
    },
  };
}

/**
 * GitHub's published formula: add up the requests each connection needs at its `first`/`last`
 * (nested connections multiply), divide by 100, round; at least 1.
 */
export function queryCost(document: DocumentNode, variables: Record<string, unknown>): number {
  const fragments = new Map<string, SelectionSetNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def.selectionSet);
  }
  const valueOf = (node: ValueNode): unknown =>
    node.kind === Kind.VARIABLE
      ? variables[node.name.value]
      : node.kind === Kind.INT
        ? Number(node.value)
        : undefined;
  let requests = 0;
  const walk = (set: SelectionSetNode, multiplier: number) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment, multiplier);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, multiplier);
      } else if (selection.selectionSet) {
        const limit = selection.arguments?.find(
          (a) => a.name.value === 'first' || a.name.value === 'last',
        );
        if (limit) {
          requests += multiplier;
          walk(selection.selectionSet, multiplier * (Number(valueOf(limit.value)) || 1));
        } else {
          walk(selection.selectionSet, multiplier);
        }
      }
    }
  };
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) walk(def.selectionSet, 1);
  }
  return Math.max(1, Math.round(requests / 100));
}

function forbidden(): GraphQLError {
  return new GraphQLError('Resource not accessible by integration', {
    extensions: { type: 'FORBIDDEN' },
  });
}

/** `repository.pullRequests`: newest first (the order the rules engine asks for), by cursor. */
function pullRequestConnection(
  context: GraphqlContext,
  repo: SimRepo,
  args: { first?: number; after?: string; states?: string[] },
) {
  const first = args.first ?? MAX_NODES;
  if (first > MAX_NODES || first < 1) {
    throw new GraphQLError(
      `Requesting ${first} records on the \`pullRequests\` connection exceeds the \`first\` limit of 100 records.`,
    );
  }
  const states = args.states?.map((s) => s.toLowerCase());
  const all = [...(context.pulls?.activity(repo).pulls.values() ?? [])]
    .filter((p) => !states || states.includes(p.state))
    .sort((a, b) => b.number - a.number);
  const start = decodeCursor(args.after);
  const slice = all.slice(start, start + first);
  const node = (p: (typeof all)[number]) => ({
    id: nodeId('PR', repo.id * 10_000 + p.number),
    number: p.number,
    title: p.title,
    headRefOid: p.headSha,
    headRefName: p.headRef,
    additions: p.additions,
    deletions: p.deletions,
    changedFiles: p.changedFiles,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    state: p.state.toUpperCase(),
    labels: () => ({ totalCount: p.labels.length, nodes: p.labels.map((name) => ({ name })) }),
  });
  return {
    totalCount: all.length,
    nodes: slice.map(node),
    pageInfo: {
      hasNextPage: start + first < all.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length ? encodeCursor(start) : null,
      endCursor: slice.length ? encodeCursor(start + slice.length - 1) : null,
    },
  };
}

function repositoryNode(context: GraphqlContext, repo: SimRepo) {
  const { org, permissions } = context;
  const protection = repo.protection;
  return {
    pullRequests: (args: { first?: number; after?: string; states?: string[] }) =>
      pullRequestConnection(context, repo, args),
    id: nodeId('R', repo.id),
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: `${org.login}/${repo.name}`,
    url: `https://github.com/${org.login}/${repo.name}`,
    description: repo.description,
    isPrivate: repo.private,
    visibility: repo.private ? 'PRIVATE' : 'PUBLIC',
    isArchived: repo.archived,
    isFork: repo.fork,
    hasVulnerabilityAlertsEnabled: repo.vulnerabilityAlerts ?? false,
    isSecurityPolicyEnabled: repo.securityPolicy ?? false,
    rulesets: (args: { first?: number; includeParents?: boolean; targets?: string[] | null }) => {
      if (!permissions.administration) throw forbidden();
      const first = Math.min(args.first ?? MAX_NODES, MAX_NODES);
      const all = rulesetsOf(org, repo, args.includeParents !== false).filter(
        ({ ruleset }) => !args.targets || args.targets.includes(ruleset.target.toUpperCase()),
      );
      const nodes = all
        .slice(0, first)
        .map(({ ruleset, source }) =>
          rulesetNode(ruleset, source === 'Repository' ? repo.id : org.id),
        );
      return {
        totalCount: all.length,
        nodes,
        pageInfo: { hasNextPage: all.length > first, hasPreviousPage: false },
      };
    },
    isDisabled: false,
    isLocked: false,
    isTemplate: false,
    createdAt: repo.createdAt,
    updatedAt: repo.pushedAt,
    pushedAt: repo.pushedAt,
    defaultBranchRef: {
      id: nodeId('REF', repo.id),
      name: repo.defaultBranch,
      prefix: 'refs/heads/',
      branchProtectionRule: () => {
        if (!permissions.administration) throw forbidden();
        if (!protection) return null;
        return {
          id: nodeId('BPR', repo.id),
          pattern: repo.defaultBranch,
          requiresApprovingReviews: protection.requiredReviews > 0,
          requiredApprovingReviewCount: protection.requiredReviews,
          requiresStatusChecks: protection.requiresStatusChecks,
          requiredStatusCheckContexts: protection.statusChecks,
          isAdminEnforced: protection.enforceAdmins,
          requiresCodeOwnerReviews: protection.requireCodeOwnerReviews ?? false,
          dismissesStaleReviews: protection.dismissStaleReviews ?? false,
          allowsForcePushes: protection.allowsForcePushes ?? false,
          allowsDeletions: protection.allowsDeletions ?? false,
          requiresCommitSignatures: protection.requiresSignatures ?? false,
        };
      },
    },
  };
}

/** GraphQL's `RepositoryRuleset`: enums in upper case, rule parameters by their GraphQL names. */
function rulesetNode(ruleset: SimRuleset, sourceId: number) {
  return {
    id: nodeId('RRS', ruleset.id),
    databaseId: ruleset.id,
    name: ruleset.name,
    enforcement: ruleset.enforcement.toUpperCase(),
    target: ruleset.target.toUpperCase(),
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    source: { __typename: 'Repository', id: nodeId('R', sourceId) },
    conditions: {
      refName: { include: ruleset.include, exclude: ruleset.exclude ?? [] },
      repositoryName: ruleset.repositoryInclude
        ? {
            include: ruleset.repositoryInclude,
            exclude: ruleset.repositoryExclude ?? [],
            protected: false,
          }
        : null,
      repositoryId: null,
      repositoryProperty: null,
    },
    rules: () => ({
      totalCount: ruleset.rules.length,
      nodes: ruleset.rules.map((rule, i) => ({
        id: nodeId('RR', ruleset.id * 100 + i),
        type: rule.type.toUpperCase(),
        parameters: null,
      })),
    }),
    bypassActors: () => ({
      totalCount: ruleset.bypassActors?.length ?? 0,
      nodes: (ruleset.bypassActors ?? []).map((a) => ({
        bypassMode: a.bypassMode.toUpperCase(),
        organizationAdmin: a.actorType === 'OrganizationAdmin',
        repositoryRoleDatabaseId: a.actorType === 'RepositoryRole' ? a.actorId : null,
      })),
    }),
  };
}

function encodeCursor(index: number): string {
  return Buffer.from(`cursor:v2:${index}`).toString('base64');
}

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== 'string') return 0;
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GraphQLError('`after` does not appear to be a valid cursor.');
  return Number(match[1]) + 1;
}

function repositoryConnection(
  context: GraphqlContext,
  args: { first?: number; after?: string; isArchived?: boolean },
) {
  const first = args.first ?? MAX_NODES;
  if (first > MAX_NODES || first < 1) {
    throw new GraphQLError(
      `Requesting ${first} records on the \`repositories\` connection exceeds the \`first\` limit of 100 records.`,
    );
  }
  const all = context.org.repos.filter(
    (r) =>
      args.isArchived === undefined || args.isArchived === null || r.archived === args.isArchived,
  );
  const start = decodeCursor(args.after);
  const slice = all.slice(start, start + first);
  return {
    totalCount: all.length,
    nodes: slice.map((r) => repositoryNode(context, r)),
    edges: slice.map((r, i) => ({
      cursor: encodeCursor(start + i),
      node: repositoryNode(context, r),
    })),
    pageInfo: {
      hasNextPage: start + first < all.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length ? encodeCursor(start) : null,
      endCursor: slice.length ? encodeCursor(start + slice.length - 1) : null,
    },
  };
}

function queryRoot(context: GraphqlContext) {
  const { org } = context;
  return {
    rateLimit: () => {
      const snapshot = context.budget.snapshot();
      return {
        cost: context.cost,
        limit: snapshot.limit,
        remaining: snapshot.remaining,
        used: snapshot.used,
        nodeCount: 0,
        resetAt: new Date(snapshot.reset * 1000).toISOString(),
      };
    },
    organization: ({ login }: { login: string }) => {
      if (login.toLowerCase() !== org.login.toLowerCase()) {
        throw new GraphQLError(
          `Could not resolve to an Organization with the login of '${login}'.`,
          {
            extensions: { type: 'NOT_FOUND' },
          },
        );
      }
      return {
        id: nodeId('O', org.id),
        databaseId: org.id,
        login: org.login,
        name: org.login,
        repositories: (args: { first?: number; after?: string; isArchived?: boolean }) =>
          repositoryConnection(context, args),
      };
    },
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo =
        owner.toLowerCase() === org.login.toLowerCase()
          ? org.repos.find((r) => r.name.toLowerCase() === name.toLowerCase())
          : undefined;
      if (!repo) {
        throw new GraphQLError(
          `Could not resolve to a Repository with the name '${owner}/${name}'.`,
          { extensions: { type: 'NOT_FOUND' } },
        );
      }
      return repositoryNode(context, repo);
    },
  };
}
