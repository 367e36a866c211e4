import {
  createEnvelope,
  GITHUB_WEBHOOK_DEAD_LETTERED,
  githubWebhookDeadLetterSubject,
  githubWebhookSubject,
  Streams,
  type GithubWebhookDeadLetter,
  type GithubWebhookDeadLetterEnvelope,
  type GithubWebhookEnvelope,
} from '#libs/contracts/src/index.js';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

/**
 * The dead-letter stream GITHUB_WEBHOOK_DEAD_LETTERS: deliveries that kept failing, parked with
 * their last error so ops can list and replay them (`npm run admin -- webhooks:dead-letters`,
 * `webhooks:replay <id>`). Plain functions over a JetStream client so the scanner and the admin
 * CLI share them.
 */
export async function parkDelivery(
  js: JetStreamClient,
  delivery: GithubWebhookEnvelope,
  streamSeq: number,
  attempts: number,
  lastError: string,
): Promise<void> {
  const data: GithubWebhookDeadLetter = {
    deliveryId: delivery.data.deliveryId,
    event: delivery.data.event,
    attempts,
    lastError: lastError.slice(0, 2_000),
    deadLetteredAt: new Date().toISOString(),
    delivery,
  };
  const envelope = createEnvelope({
    type: GITHUB_WEBHOOK_DEAD_LETTERED,
    data,
    workspaceId: delivery.workspaceId,
    correlationId: delivery.correlationId,
    causationId: delivery.id,
    actor: 'system',
  });
  // One dead letter per stored copy of the delivery, however often the parking is retried.
  await js.publish(githubWebhookDeadLetterSubject(delivery.data.event), JSON.stringify(envelope), {
    msgID: `dead:${delivery.data.deliveryId}:${streamSeq}`,
  });
}

export interface DeadLetterEntry {
  /** Sequence in GITHUB_WEBHOOK_DEAD_LETTERS: what `webhooks:replay` also accepts. */
  seq: number;
  deliveryId: string;
  event: string;
  action: string | null;
  workspaceId: string | null;
  attempts: number;
  lastError: string;
  deadLetteredAt: string;
}

async function* deadLetters(
  jsm: JetStreamManager,
): AsyncGenerator<{ seq: number; envelope: GithubWebhookDeadLetterEnvelope }> {
  const stream = Streams.githubWebhookDeadLetters.name;
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) return;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (message) yield { seq, envelope: message.json<GithubWebhookDeadLetterEnvelope>() };
  }
}

export async function listDeadLetters(jsm: JetStreamManager): Promise<DeadLetterEntry[]> {
  const entries: DeadLetterEntry[] = [];
  for await (const { seq, envelope } of deadLetters(jsm)) {
    const d = envelope.data;
    entries.push({
      seq,
      deliveryId: d.deliveryId,
      event: d.event,
      action: d.delivery.data.action,
      workspaceId: d.delivery.workspaceId,
      attempts: d.attempts,
      lastError: d.lastError,
      deadLetteredAt: d.deadLetteredAt,
    });
  }
  return entries;
}

export class DeadLetterNotFound extends Error {
  override name = 'DeadLetterNotFound';
  readonly kind = 'not_found';
  readonly code = 'dead_letter_not_found';
}

/**
 * Puts a parked delivery back on GITHUB_WEBHOOKS, unchanged, and removes it from the dead
 * letters. Its message id differs from the original's (which the stream still remembers for a
 * day) so it is not absorbed as a duplicate; processing still applies it once.
 */
export async function replayDeadLetter(
  js: JetStreamClient,
  jsm: JetStreamManager,
  id: string,
): Promise<{ deliveryId: string; event: string; replayedSeq: number }> {
  for await (const { seq, envelope } of deadLetters(jsm)) {
    if (envelope.data.deliveryId !== id && String(seq) !== id) continue;
    const delivery = envelope.data.delivery;
    const ack = await js.publish(
      githubWebhookSubject(delivery.data.event),
      JSON.stringify(delivery),
      {
        msgID: `replay:${delivery.data.deliveryId}:${seq}`,
      },
    );
    await jsm.streams.deleteMessage(Streams.githubWebhookDeadLetters.name, seq);
    return {
      deliveryId: delivery.data.deliveryId,
      event: delivery.data.event,
      replayedSeq: ack.seq,
    };
  }
  throw new DeadLetterNotFound(`no dead-lettered delivery ${id}`);
}
