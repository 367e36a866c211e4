import { RulesEngineSubjects } from '#libs/contracts/src/index.js';

/** One due time of one scheduled or polled rule, on the work queue RULE_JOBS. */
export interface ScheduledRunJob {
  ruleId: string;
  workspaceId: string;
  kind: 'schedule' | 'poll';
  dueAt: string;
}

export const SCHEDULED_RUNS_SUBJECT = `${RulesEngineSubjects.jobs}.scheduled-run`;
export const SCHEDULED_RUNS_CONSUMER = 'rules-engine-scheduled-runs';

/** The same on every replica: JetStream keeps one message per rule and due time. */
export const scheduledRunMessageId = (job: Pick<ScheduledRunJob, 'ruleId' | 'dueAt'>) =>
  `scheduled-run:${job.ruleId}:${job.dueAt}`;
