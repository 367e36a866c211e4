import { RulesEngineSubjects } from './rule-runs.js';
import {
  DeadLetterSubjects,
  GithubSubjects,
  IntegrationSubjects,
  RuleSubjects,
  ScannerSubjects,
  WorkspaceSubjects,
} from './subjects.js';

/**
 * JetStream streams. Each service ensures, at start, the streams it writes or reads; the
 * definitions live here once so two services never disagree about a stream's shape.
 */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  retention: 'limits' | 'workqueue';
  /** Window in which a repeated `Nats-Msg-Id` is absorbed. */
  duplicateWindowMs: number;
  /**
   * Limits a stream is created with (a deployment overrides them per stream in `STREAM_LIMITS`).
   * They apply at creation only: a stream that exists keeps whatever an operator set.
   */
  limits: StreamLimits;
}

export interface StreamLimits {
  /** Messages older than this are dropped; 0: kept for ever. */
  maxAgeMs: number;
  /** The stream drops its oldest messages beyond this many bytes; -1: no bound. */
  maxBytes: number;
  /** And beyond this many messages; -1: no bound. */
  maxMsgs?: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const GIB = 1024 ** 3;

export const Streams = {
  integrationEvents: {
    name: 'INTEGRATION_EVENTS',
    subjects: [`${IntegrationSubjects.events}.>`, `${RuleSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 10 * MINUTE,
    // Projections catch up from here; the event log in Postgres stays the source of truth.
    limits: { maxAgeMs: 90 * DAY, maxBytes: 10 * GIB },
  },
  scannerJobs: {
    name: 'SCANNER_JOBS',
    subjects: [`${ScannerSubjects.jobs}.>`],
    retention: 'workqueue',
    duplicateWindowMs: 2 * MINUTE,
    limits: { maxAgeMs: 7 * DAY, maxBytes: 1 * GIB },
  },
  scannerEvents: {
    name: 'SCANNER_EVENTS',
    subjects: [`${ScannerSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 2 * MINUTE,
    limits: { maxAgeMs: 30 * DAY, maxBytes: 10 * GIB },
  },
  githubWebhooks: {
    name: 'GITHUB_WEBHOOKS',
    subjects: [`${GithubSubjects.webhooks}.>`],
    retention: 'limits',
    // GitHub redelivers a failed delivery with the same X-GitHub-Delivery; absorb it for a day.
    duplicateWindowMs: 24 * 60 * MINUTE,
    limits: { maxAgeMs: 7 * DAY, maxBytes: 10 * GIB },
  },
  /** Messages a consumer gave up on, one subject per consumer: `dead-letters.<consumer>`. */
  deadLetters: {
    name: 'DEAD_LETTERS',
    subjects: [`${DeadLetterSubjects.prefix}.>`],
    retention: 'limits',
    duplicateWindowMs: 2 * MINUTE,
    limits: { maxAgeMs: 30 * DAY, maxBytes: 1 * GIB },
  },
  workspaceEvents: {
    name: 'WORKSPACE_EVENTS',
    subjects: [`${WorkspaceSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 10 * MINUTE,
    // Few and small, and the audit log is rebuilt from them: kept as long as the audit log.
    limits: { maxAgeMs: 0, maxBytes: 1 * GIB },
  },
  /** Scheduled and polled evaluations that rules-engine replicas share; one per rule and due time. */
  ruleJobs: {
    name: 'RULE_JOBS',
    subjects: [`${RulesEngineSubjects.jobs}.>`],
    retention: 'workqueue',
    // A due time is published by every replica that sees it; the id (rule + due time) absorbs the rest.
    duplicateWindowMs: 24 * 60 * MINUTE,
    limits: { maxAgeMs: 1 * DAY, maxBytes: 1 * GIB },
  },
} as const satisfies Record<string, StreamDefinition>;
