import { ScannerSubjects, Streams, type ScanJob } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';

/** The durable consumer of SCANNER_JOBS that every scanner replica pulls from. */
export const SCAN_JOBS_CONSUMER = 'scanner-jobs';
export const SCAN_JOBS_STREAM = Streams.scannerJobs.name;

export function scanJobSubject(kind: ScanJob['kind']): string {
  return `${ScannerSubjects.jobs}.${kind}`;
}

/** Queues a job; `messageId` makes a repeated enqueue within the window a no-op. */
export async function enqueueScanJob(bus: Bus, job: ScanJob, messageId: string): Promise<void> {
  await bus.publish(scanJobSubject(job.kind), JSON.stringify(job), { msgID: messageId });
}
