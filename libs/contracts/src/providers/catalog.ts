import { z } from 'zod';

/**
 * The provider catalog: every provider the platform connects, as data in one place. The
 * integration service validates connect payloads, credentials, settings and rules against it; the
 * gateway serves `:provider/checks` and `:provider/actions` from it. Adding a provider is adding
 * one entry here.
 */
export type ProviderKind = 'scm' | 'chat' | 'hosting' | 'database' | 'email' | 'container-registry';

export const OPERATORS = [
  'gt',
  'lt',
  'eq',
  'gte',
  'lte',
  'contains',
  'not_contains',
  'matches',
  'none_match',
  'any_match',
  'is_empty',
  'is_not_empty',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** What a check measures decides which operators make sense and what `value` must be. */
export type CheckValueType = 'number' | 'string' | 'boolean' | 'list';

export const OPERATORS_BY_VALUE_TYPE: Record<CheckValueType, readonly Operator[]> = {
  number: ['gt', 'lt', 'eq', 'gte', 'lte'],
  string: ['eq', 'contains', 'not_contains', 'matches', 'is_empty', 'is_not_empty'],
  boolean: ['eq'],
  list: ['contains', 'not_contains', 'none_match', 'any_match', 'is_empty', 'is_not_empty'],
};

export interface CheckDefinition {
  name: string;
  description: string;
  valueType: CheckValueType;
  /** Unit of a numeric value, for display (`hours`, `lines`, `usd`, `GB`). */
  unit?: string;
}

export interface ActionDefinition {
  name: string;
  description: string;
  /** Parameters the action takes; validated when a rule is created. */
  params: z.ZodObject;
}

export interface ProviderDefinition {
  name: string;
  displayName: string;
  kind: ProviderKind;
  /** Non-secret connection data, kept in the clear and shown back (e.g. installation id). */
  config: z.ZodObject;
  /** Secret data: encrypted before it reaches the log, never returned, never published. */
  credentials: z.ZodObject;
  /** Settings with their defaults; `container_app_scan_enabled` exists only for registries. */
  settings: z.ZodObject;
  checks: readonly CheckDefinition[];
  actions: readonly ActionDefinition[];
  /** Where the health check calls the provider: a variable naming the base URL, and its default. */
  api: { baseUrlEnv: string; defaultBaseUrl: string };
  /**
   * Config or credential fields holding a URL (or a host) this service will call: users type
   * them, so the integration service checks them against its outbound policy when they are saved
   * and again at every call.
   */
  urlFields?: readonly string[];
}

const nonEmpty = (max = 200) => z.string().trim().min(1).max(max);

/** A GitHub login: alphanumerics and single hyphens, at most 39 characters. */
const githubLogin = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, 'expected a GitHub login');

export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, 'expected an AWS region like us-east-1');

export const iamRoleArn = z
  .string()
  .regex(
    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'expected an IAM role ARN like arn:aws:iam::123456789012:role/name',
  );

const httpsUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const baseSettings = { broker_enabled: z.boolean().default(false) };
const registrySettings = z.strictObject({
  ...baseSettings,
  container_app_scan_enabled: z.boolean().default(false),
});
const plainSettings = z.strictObject(baseSettings);

const params = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);
const noParams = z.strictObject({});

const registryChecks: CheckDefinition[] = [
  {
    name: 'image.vulnerability_count',
    description: 'Known vulnerabilities in the newest image',
    valueType: 'number',
  },
  { name: 'image.age', description: 'Age of the newest image', valueType: 'number', unit: 'days' },
  { name: 'image.tags', description: 'Tags of the newest image', valueType: 'list' },
];
const registryActions: ActionDefinition[] = [
  { name: 'scan_image', description: 'Scan an image now', params: params({ image: nonEmpty() }) },
];

const registry = (
  name: string,
  displayName: string,
  credentials: z.ZodObject,
  defaultBaseUrl: string,
): ProviderDefinition => ({
  ...('registry_base_url' in credentials.shape ? { urlFields: ['registry_base_url'] } : {}),
  name,
  displayName,
  kind: 'container-registry',
  config: z.strictObject({}),
  credentials,
  settings: registrySettings,
  checks: registryChecks,
  actions: registryActions,
  api: { baseUrlEnv: `${name.replace(/-/g, '_').toUpperCase()}_API_URL`, defaultBaseUrl },
});

export const PROVIDERS = [
  {
    name: 'github',
    displayName: 'GitHub',
    kind: 'scm',
    config: z.strictObject({
      installationId: z.string().regex(/^\d{1,20}$/, 'expected the installation id, digits only'),
      accountLogin: githubLogin,
    }),
    // The GitHub App's private key is platform configuration, not per-workspace data.
    credentials: z.strictObject({}),
    settings: plainSettings,
    checks: [
      {
        name: 'branch_protection',
        description: 'Whether the default branch is protected',
        valueType: 'boolean',
      },
      {
        name: 'ci_status',
        description:
          "CI on the commit, from its statuses and check runs: 'success', 'pending' or 'failure'",
        valueType: 'string',
      },
      {
        name: 'pr.age',
        description: 'Age of an open pull request',
        valueType: 'number',
        unit: 'hours',
      },
      {
        name: 'pr.changed_lines',
        description: 'Lines added plus deleted in a pull request',
        valueType: 'number',
        unit: 'lines',
      },
      {
        name: 'pr.last_activity_days',
        description: 'Days since a pull request was last updated',
        valueType: 'number',
        unit: 'days',
      },
      { name: 'pr.labels', description: 'Labels on a pull request', valueType: 'list' },
    ],
    actions: [
      {
        name: 'label',
        description: 'Label an issue or pull request',
        params: params({ label: nonEmpty(50) }),
      },
      {
        name: 'comment',
        description: 'Comment on an issue or pull request',
        params: params({ body: nonEmpty(65536) }),
      },
      {
        name: 'pr_comment',
        description: 'Comment on a pull request',
        params: params({ body: nonEmpty(65536) }),
      },
      {
        name: 'create_issue',
        description: 'Open an issue',
        params: params({
          title: nonEmpty(256),
          body: z.string().max(65536).optional(),
          labels: z.array(nonEmpty(50)).max(20).optional(),
        }),
      },
      {
        name: 'add_label',
        description: 'Add a label to a pull request',
        params: params({ label: nonEmpty(50) }),
      },
    ],
    api: { baseUrlEnv: 'GITHUB_API_URL', defaultBaseUrl: 'https://api.github.com' },
  },
  {
    name: 'slack',
    displayName: 'Slack',
    kind: 'chat',
    config: z.strictObject({
      teamId: z
        .string()
        .regex(/^T[A-Z0-9]+$/)
        .optional(),
    }),
    credentials: z.strictObject({
      botToken: z.string().regex(/^xoxb-[A-Za-z0-9-]+$/, 'expected a bot token (xoxb-...)'),
    }),
    settings: plainSettings,
    checks: [
      { name: 'channel.member_count', description: 'Members in a channel', valueType: 'number' },
    ],
    actions: [
      {
        name: 'notify',
        description: 'Post a notification',
        params: params({ channel: nonEmpty(80), text: nonEmpty(4000).optional() }),
      },
      {
        name: 'send_message',
        description: 'Post a message to a channel',
        params: params({ channel: nonEmpty(80), text: nonEmpty(4000) }),
      },
      {
        name: 'send_dm',
        description: 'Send a direct message',
        params: params({ user: nonEmpty(80), text: nonEmpty(4000) }),
      },
      {
        name: 'upload_file',
        description: 'Upload a file to a channel',
        params: params({
          channel: nonEmpty(80),
          filename: nonEmpty(255),
          content: z.string().max(1_000_000),
        }),
      },
    ],
    api: { baseUrlEnv: 'SLACK_API_URL', defaultBaseUrl: 'https://slack.com/api' },
  },
  {
    name: 'vercel',
    displayName: 'Vercel',
    kind: 'hosting',
    config: z.strictObject({ teamId: nonEmpty(100).optional() }),
    credentials: z.strictObject({ token: nonEmpty(500) }),
    settings: plainSettings,
    checks: [
      {
        name: 'billing.mtd',
        description: 'Spend this month to date',
        valueType: 'number',
        unit: 'usd',
      },
      {
        name: 'billing.projected',
        description: 'Projected spend this month',
        valueType: 'number',
        unit: 'usd',
      },
      {
        name: 'deployment.status',
        description: 'State of the latest deployment',
        valueType: 'string',
      },
      {
        name: 'deployment.domain',
        description: 'Domains of the latest deployment',
        valueType: 'list',
      },
      {
        name: 'usage.bandwidth',
        description: 'Bandwidth used this period',
        valueType: 'number',
        unit: 'GB',
      },
      {
        name: 'usage.serverless_invocations',
        description: 'Serverless invocations this period',
        valueType: 'number',
      },
    ],
    actions: [
      {
        name: 'redeploy',
        description: 'Redeploy the latest deployment',
        params: params({ project: nonEmpty(100) }),
      },
      {
        name: 'rollback',
        description: 'Roll back to the previous deployment',
        params: params({ project: nonEmpty(100) }),
      },
    ],
    api: { baseUrlEnv: 'VERCEL_API_URL', defaultBaseUrl: 'https://api.vercel.com' },
  },
  {
    name: 'supabase',
    displayName: 'Supabase',
    kind: 'database',
    config: z.strictObject({
      projectRef: z.string().regex(/^[a-z0-9]{20}$/, 'expected a 20-character project ref'),
    }),
    credentials: z.strictObject({ accessToken: nonEmpty(500) }),
    settings: plainSettings,
    checks: [
      { name: 'database.size', description: 'Database size', valueType: 'number', unit: 'GB' },
      { name: 'database.connections', description: 'Open connections', valueType: 'number' },
      { name: 'project.status', description: 'Project status', valueType: 'string' },
    ],
    actions: [{ name: 'restart_project', description: 'Restart the project', params: noParams }],
    api: { baseUrlEnv: 'SUPABASE_API_URL', defaultBaseUrl: 'https://api.supabase.com' },
  },
  {
    name: 'email',
    displayName: 'Email',
    kind: 'email',
    config: z.strictObject({ fromAddress: z.email() }),
    credentials: z.strictObject({ apiKey: nonEmpty(500) }),
    settings: plainSettings,
    checks: [
      { name: 'delivery.bounce_rate', description: 'Bounce rate', valueType: 'number', unit: '%' },
    ],
    actions: [
      {
        name: 'notify',
        description: 'Send a notification',
        params: params({ to: z.email(), subject: nonEmpty(200).optional() }),
      },
      {
        name: 'send_email',
        description: 'Send an email',
        params: params({ to: z.email(), subject: nonEmpty(200), body: z.string().max(100_000) }),
      },
    ],
    api: { baseUrlEnv: 'EMAIL_API_URL', defaultBaseUrl: 'https://api.sendgrid.com' },
  },
  registry(
    'ecr',
    'Amazon ECR',
    z.strictObject({ region: awsRegion, role_arn: iamRoleArn }),
    'https://sts.amazonaws.com',
  ),
  registry(
    'acr',
    'Azure Container Registry',
    z.strictObject({
      registry_base_url: z
        .string()
        .regex(/^[a-z0-9]{5,50}\.azurecr\.io$/, 'expected <name>.azurecr.io'),
      username: nonEmpty(100),
      password: nonEmpty(500),
    }),
    'https://management.azure.com',
  ),
  registry(
    'gcr',
    'Google Container Registry',
    z.strictObject({
      registry_base_url: z
        .string()
        .regex(
          /^([a-z]+\.)?gcr\.io$|^[a-z0-9-]+-docker\.pkg\.dev$/,
          'expected gcr.io or <region>-docker.pkg.dev',
        ),
      service_account_key: nonEmpty(20_000),
    }),
    'https://gcr.io',
  ),
  registry(
    'artifactory',
    'JFrog Artifactory',
    z.strictObject({
      registry_base_url: httpsUrl,
      username: nonEmpty(100),
      password: nonEmpty(500),
    }),
    'https://artifactory.example.com',
  ),
  registry(
    'docker-hub',
    'Docker Hub',
    z.strictObject({ username: nonEmpty(100), access_token: nonEmpty(500) }),
    'https://hub.docker.com',
  ),
  registry(
    'quay',
    'Quay',
    z.strictObject({ username: nonEmpty(255), password: nonEmpty(500) }),
    'https://quay.io',
  ),
] as const satisfies readonly ProviderDefinition[];

export type ProviderName = (typeof PROVIDERS)[number]['name'];
export const PROVIDER_NAMES = PROVIDERS.map((p) => p.name) as readonly ProviderName[];

export function findProvider(name: string): ProviderDefinition | undefined {
  return (PROVIDERS as readonly ProviderDefinition[]).find((p) => p.name === name);
}

export function findCheck(provider: string, check: string): CheckDefinition | undefined {
  return findProvider(provider)?.checks.find((c) => c.name === check);
}

export function findAction(provider: string, action: string): ActionDefinition | undefined {
  return findProvider(provider)?.actions.find((a) => a.name === action);
}

/** Built once per provider: zod compiles a schema on its first parse, which is costly per call. */
function oncePerProvider(build: (provider: ProviderDefinition) => z.ZodObject) {
  const built = new WeakMap<ProviderDefinition, z.ZodObject>();
  return (provider: ProviderDefinition): z.ZodObject => {
    let schema = built.get(provider);
    if (!schema) {
      schema = build(provider);
      built.set(provider, schema);
    }
    return schema;
  };
}

/**
 * What `:provider/connect` takes: the provider's config and credentials in one flat object
 * (GitHub: `{ installationId, accountLogin }`; Slack: `{ botToken, teamId? }`).
 */
export const connectPayloadSchema = oncePerProvider((provider) =>
  z.strictObject({ ...provider.config.shape, ...provider.credentials.shape }),
);

/** A settings change: any subset of the provider's settings. */
export const settingsPatchSchema = oncePerProvider((provider) => provider.settings.partial());

/** Plain JSON for `GET :provider/checks` and `:provider/actions` (zod schemas do not serialise). */
export interface CheckDescription extends CheckDefinition {
  operators: readonly Operator[];
}
export interface ActionDescription {
  name: string;
  description: string;
  params: { name: string; required: boolean }[];
}

export function describeChecks(provider: ProviderDefinition): CheckDescription[] {
  return provider.checks.map((c) => ({ ...c, operators: OPERATORS_BY_VALUE_TYPE[c.valueType] }));
}

export function describeActions(provider: ProviderDefinition): ActionDescription[] {
  return provider.actions.map((a) => ({
    name: a.name,
    description: a.description,
    params: Object.entries(a.params.shape).map(([name, schema]) => ({
      name,
      required: !(schema as z.ZodType).safeParse(undefined).success,
    })),
  }));
}
