import {
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
  workspaceEvents: {
    name: 'WORKSPACE_EVENTS',
    subjects: [`${WorkspaceSubjects.events}.>`],
    retention: 'limits',
    duplicateWindowMs: 10 * MINUTE,
  },
} as const satisfies Record<string, StreamDefinition>;
