import { RulesEngineSubjects } from './rule-runs.js';
import { GithubSubjects, IntegrationSubjects, RuleSubjects, ScannerSubjects } from './subjects.js';

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
}

const MINUTE = 60_000;

export const Streams = {
  integrationEvents: {
    name: 'INTEGRATION_EVENTS',
    subjects: [`${IntegrationSubjects.events}.>`, `${RuleSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 10 * MINUTE,
  },
  scannerJobs: {
    name: 'SCANNER_JOBS',
    subjects: [`${ScannerSubjects.jobs}.>`],
    retention: 'workqueue',
    duplicateWindowMs: 2 * MINUTE,
  },
  scannerEvents: {
    name: 'SCANNER_EVENTS',
    subjects: [`${ScannerSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 2 * MINUTE,
  },
  githubWebhooks: {
    name: 'GITHUB_WEBHOOKS',
    subjects: [`${GithubSubjects.webhooks}.>`],
    retention: 'limits',
    // GitHub redelivers a failed delivery with the same X-GitHub-Delivery; absorb it for a day.
    duplicateWindowMs: 24 * 60 * MINUTE,
  },
  githubWebhookDeadLetters: {
    name: 'GITHUB_WEBHOOK_DEAD_LETTERS',
    subjects: [`${GithubSubjects.deadLetters}.>`],
    retention: 'limits',
    duplicateWindowMs: 2 * MINUTE,
  },
  /** Scheduled and polled evaluations that rules-engine replicas share; one per rule and due time. */
  ruleJobs: {
    name: 'RULE_JOBS',
    subjects: [`${RulesEngineSubjects.jobs}.>`],
    retention: 'workqueue',
    // A due time is published by every replica that sees it; the id (rule + due time) absorbs the rest.
    duplicateWindowMs: 24 * 60 * MINUTE,
  },
} as const satisfies Record<string, StreamDefinition>;
