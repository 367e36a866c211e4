import { z } from 'zod';
import { Streams, type StreamDefinition } from '../streams.js';
import {
  DeadLetterSubjects,
  eventSubject,
  GatewaySubjects,
  GithubSubjects,
  IntegrationSubjects,
  ProviderSubjects,
  RuleSubjects,
  ScannerSubjects,
  WorkspaceSubjects,
} from '../subjects.js';
import { GITHUB_WEBHOOK_RECEIVED } from '../webhooks.js';
import { RulesEngineSubjects } from '../rule-runs.js';
import { ruleRunSchemas as rr, ruleRunViewSchema } from './rule-runs.schemas.js';
import { MESSAGE_PARKED } from '../dead-letters.js';
import { empty, serviceHealthReplySchema } from './common.schemas.js';
import {
  gatewayNoticeSchemas,
  githubWebhookDeliverySchema,
  parkedMessageSchema,
  workspaceEventSchemas,
} from './gateway.schemas.js';
import {
  historyEntrySchema,
  integrationCommandSchemas as ic,
  integrationEventSchemas,
  integrationResultSchemas as ir,
  integrationViewSchema,
} from './integrations.schemas.js';
import { providerCommandSchemas as pc, providerResultSchemas as pr } from './providers.schemas.js';
import { ruleCommandSchemas as rc, ruleEventSchemas, ruleViewSchema } from './rules.schemas.js';
import {
  scanJobSchema,
  scannerEventSchemas,
  scannerResultSchemas as sr,
} from './scanner.schemas.js';

export type Service = 'api-gateway' | 'integration-service' | 'scanner-service' | 'rules-engine';

/** A request/reply subject: who answers it, who sends it, the request's data and the reply's value. */
export interface RequestSubject {
  subject: string;
  summary: string;
  answeredBy: Service;
  sentBy: Service[];
  request: z.ZodType;
  reply: z.ZodType;
}

/** Messages on a JetStream stream: which service publishes them, and each message type's data. */
export interface StreamMessages {
  stream: StreamDefinition;
  publishedBy: Service[];
  /** Subject of each message type; `*` where the subject ends in a name the publisher picks. */
  messages: { type: string; subject: string; data: z.ZodType }[];
}

/**
 * A notice on core NATS (no stream, no reply) between replicas of one service: lost when nobody
 * listens, so it only ever shortens a wait that a TTL or a poll bounds anyway.
 */
export interface NoticeSubject {
  subject: string;
  summary: string;
  publishedBy: Service;
  receivedBy: Service[];
  /** JSON unless `contentType` says otherwise; not wrapped in the envelope. */
  payload: z.ZodType;
  contentType?: 'text/plain';
}

const command = (
  subject: string,
  summary: string,
  answeredBy: Service,
  sentBy: Service[],
  request: z.ZodType,
  reply: z.ZodType,
): RequestSubject => ({ subject, summary, answeredBy, sentBy, request, reply });

const I = IntegrationSubjects;
const R = RuleSubjects;
const gateway: Service[] = ['api-gateway'];

/** Every request/reply subject on the bus. */
export const requestSubjects: RequestSubject[] = [
  command(
    I.connect,
    'Connect a provider (the workspace integration of it, created on first connect).',
    'integration-service',
    gateway,
    ic.connect,
    integrationViewSchema,
  ),
  command(
    I.disconnect,
    'Disconnect; disables every enabled rule that needs the provider.',
    'integration-service',
    gateway,
    ic.disconnect,
    ir.disconnect,
  ),
  command(
    I.create,
    'Create an integration by type, connected (the Snyk REST API).',
    'integration-service',
    gateway,
    ic.create,
    integrationViewSchema,
  ),
  command(
    I.update,
    'Change the profile name or rotate credentials.',
    'integration-service',
    gateway,
    ic.update,
    integrationViewSchema,
  ),
  command(
    I.updateSettings,
    "Change an integration's settings.",
    'integration-service',
    gateway,
    ic.updateSettings,
    integrationViewSchema,
  ),
  command(
    I.delete,
    'Hard delete: shreds the credentials, disables dependent rules.',
    'integration-service',
    gateway,
    ic.byId,
    ir.delete,
  ),
  command(
    I.verifyGithubInstallation,
    "The install flow proved the member's access to an installation.",
    'integration-service',
    gateway,
    ic.verifyGithubInstallation,
    ir.verifyGithubInstallation,
  ),
  command(
    I.get,
    'One integration of the workspace.',
    'integration-service',
    gateway,
    ic.byId,
    integrationViewSchema,
  ),
  command(
    I.list,
    "The workspace's integrations.",
    'integration-service',
    gateway,
    ic.list,
    z.array(integrationViewSchema),
  ),
  command(
    I.history,
    "An integration's events, oldest first.",
    'integration-service',
    gateway,
    ic.byId,
    z.array(historyEntrySchema),
  ),
  command(
    I.checkHealth,
    'Call the provider with the stored credentials.',
    'integration-service',
    gateway,
    ic.checkHealth,
    ir.health,
  ),
  command(
    I.health,
    "The integration service's own health.",
    'integration-service',
    gateway,
    empty,
    serviceHealthReplySchema,
  ),
  command(
    R.create,
    'Create a rule or policy.',
    'integration-service',
    gateway,
    rc.create,
    ruleViewSchema,
  ),
  command(
    R.enable,
    'Enable; a conflict while a provider it needs is not connected.',
    'integration-service',
    gateway,
    rc.byId,
    ruleViewSchema,
  ),
  command(
    R.disable,
    'Disable by hand.',
    'integration-service',
    gateway,
    rc.disable,
    ruleViewSchema,
  ),
  command(
    R.delete,
    'Delete a rule.',
    'integration-service',
    gateway,
    rc.byId,
    z.object({ ruleId: z.string() }),
  ),
  command(
    R.get,
    'One rule of the workspace.',
    'integration-service',
    gateway,
    rc.byId,
    ruleViewSchema,
  ),
  command(
    R.list,
    "The workspace's rules.",
    'integration-service',
    gateway,
    rc.list,
    z.array(ruleViewSchema),
  ),
  command(
    R.history,
    "A rule's events, oldest first.",
    'integration-service',
    gateway,
    rc.byId,
    z.array(historyEntrySchema),
  ),
  command(
    ProviderSubjects.check,
    "Read a provider's checks with the workspace's credentials.",
    'integration-service',
    ['rules-engine'],
    pc.check,
    pr.check,
  ),
  command(
    ProviderSubjects.checkPulls,
    "Read checks of a repository's open pull requests.",
    'integration-service',
    ['rules-engine'],
    pc.checkPulls,
    pr.checkPulls,
  ),
  command(
    ProviderSubjects.act,
    "Perform a rule's action with the workspace's credentials.",
    'integration-service',
    ['rules-engine'],
    pc.act,
    pr.act,
  ),
  command(
    ScannerSubjects.scanOrg,
    'Queue a full scan of the GitHub organization.',
    'scanner-service',
    gateway,
    empty,
    sr.scanOrg,
  ),
  command(
    ScannerSubjects.invalidateCache,
    'Forget the cached GitHub answers.',
    'scanner-service',
    gateway,
    empty,
    sr.invalidateCache,
  ),
  command(
    ScannerSubjects.permissions,
    'What the GitHub App lacks among the permissions a scan needs.',
    'scanner-service',
    gateway,
    empty,
    sr.permissions,
  ),
  command(
    ScannerSubjects.health,
    "The scanner's own health.",
    'scanner-service',
    gateway,
    empty,
    serviceHealthReplySchema,
  ),
  command(
    RulesEngineSubjects.runs,
    "A rule's runs, newest first, a page at a time.",
    'rules-engine',
    gateway,
    rr.listRuns,
    rr.runsPage,
  ),
  command(
    RulesEngineSubjects.run,
    'One run of a rule, with its conditions, actions and policy effect.',
    'rules-engine',
    gateway,
    rr.getRun,
    ruleRunViewSchema,
  ),
  command(
    RulesEngineSubjects.test,
    'Evaluate a rule once as a dry run, performing no action.',
    'rules-engine',
    gateway,
    rr.test,
    ruleRunViewSchema,
  ),
  command(
    RulesEngineSubjects.health,
    "The rules engine's own health.",
    'rules-engine',
    gateway,
    empty,
    serviceHealthReplySchema,
  ),
  command(
    GatewaySubjects.health,
    "The gateway's own health.",
    'api-gateway',
    [],
    empty,
    serviceHealthReplySchema,
  ),
];

const events = (prefix: string, schemas: Record<string, z.ZodType>) =>
  Object.entries(schemas).map(([type, data]) => ({
    type,
    subject: eventSubject(prefix, type),
    data,
  }));

/** Every JetStream stream and what travels on it. */
export const streamMessages: StreamMessages[] = [
  {
    stream: Streams.integrationEvents,
    publishedBy: ['integration-service'],
    messages: [...events(I.events, integrationEventSchemas), ...events(R.events, ruleEventSchemas)],
  },
  {
    stream: Streams.scannerJobs,
    publishedBy: ['scanner-service'],
    messages: [{ type: 'ScanJob', subject: `${ScannerSubjects.jobs}.*`, data: scanJobSchema }],
  },
  {
    stream: Streams.scannerEvents,
    publishedBy: ['scanner-service'],
    messages: events(ScannerSubjects.events, scannerEventSchemas),
  },
  {
    stream: Streams.githubWebhooks,
    publishedBy: ['api-gateway'],
    messages: [
      {
        type: GITHUB_WEBHOOK_RECEIVED,
        subject: `${GithubSubjects.webhooks}.*`,
        data: githubWebhookDeliverySchema,
      },
    ],
  },
  {
    stream: Streams.deadLetters,
    publishedBy: ['scanner-service'],
    messages: [
      {
        type: MESSAGE_PARKED,
        subject: `${DeadLetterSubjects.prefix}.*`,
        data: parkedMessageSchema,
      },
    ],
  },
  {
    stream: Streams.ruleJobs,
    publishedBy: ['rules-engine'],
    messages: [{ type: 'RuleJob', subject: `${RulesEngineSubjects.jobs}.*`, data: rr.job }],
  },
  {
    stream: Streams.workspaceEvents,
    publishedBy: ['api-gateway'],
    messages: events(WorkspaceSubjects.events, workspaceEventSchemas),
  },
];

/** Every core NATS notice. */
export const noticeSubjects: NoticeSubject[] = [
  {
    subject: GatewaySubjects.authInvalidated,
    summary: 'A key was revoked or a member removed: every replica forgets the cached lookups.',
    publishedBy: 'api-gateway',
    receivedBy: gateway,
    payload: gatewayNoticeSchemas.authInvalidated,
  },
  {
    subject: GatewaySubjects.readModelsChanged,
    summary: "The leading projector applied events: the other replicas' caches and waiters wake.",
    publishedBy: 'api-gateway',
    receivedBy: gateway,
    payload: gatewayNoticeSchemas.readModelsChanged,
  },
  {
    subject: RulesEngineSubjects.rulesChanged,
    summary: "A workspace's rules changed: every engine replica drops them from memory.",
    publishedBy: 'rules-engine',
    receivedBy: ['rules-engine'],
    payload: z.string().describe('the workspace id'),
    contentType: 'text/plain',
  },
];
