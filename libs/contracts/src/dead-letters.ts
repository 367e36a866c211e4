import { DeadLetterSubjects } from './subjects.js';

/**
 * A message a consumer gave up on, parked in DEAD_LETTERS on `dead-letters.<consumer>` with its
 * last error, so the consumer moves on and ops decide (`npm run admin -- dead-letters ...`).
 */
export const MESSAGE_PARKED = 'MessageParked';

export interface ParkedMessage {
  /** The durable consumer or projection that could not handle it. */
  consumer: string;
  /** Where it came from, so a replay puts it back there. */
  stream: string;
  subject: string;
  streamSeq: number;
  /** The original `Nats-Msg-Id`, or the envelope's id. */
  messageId: string | null;
  /** The envelope's type and workspace, when the message was one. */
  type: string | null;
  workspaceId: string | null;
  attempts: number;
  lastError: string;
  parkedAt: string;
  /** The message body exactly as it was consumed (UTF-8). */
  body: string;
  /** The trace context it carried (`traceparent`, `tracestate`): a replay continues that trace. */
  trace: Record<string, string> | null;
}

/**
 * Header on a replayed message: only the consumer it names handles it; every other consumer of
 * the stream has applied the original already and acknowledges the copy without acting.
 */
export const REPLAY_FOR_HEADER = 'Replay-For';

export function deadLetterSubject(consumer: string): string {
  if (!/^[\w-]{1,128}$/.test(consumer)) throw new Error(`not a consumer name: ${consumer}`);
  return `${DeadLetterSubjects.prefix}.${consumer}`;
}
