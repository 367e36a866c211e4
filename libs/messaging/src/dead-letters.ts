import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  createEnvelope,
  deadLetterSubject,
  DeadLetterSubjects,
  MESSAGE_PARKED,
  REPLAY_FOR_HEADER,
  Streams,
  type Envelope,
  type ParkedMessage,
} from '#libs/contracts/src/index.js';
import type { BusClient } from './bus-client.js';

/** What parking and replaying publish through: the one bus client, which carries the trace. */
type Publisher = Pick<BusClient, 'publish'>;

/** The W3C trace context headers a message may carry (see libs/observability/trace-context.ts). */
const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * The one dead-letter path of every consumer: a message that keeps failing is parked in
 * DEAD_LETTERS with its last error and acknowledged, so the consumer moves on; ops list, replay
 * and discard parked messages (`npm run admin -- dead-letters ...`). Plain functions over the
 * bus client, so services and the admin CLI share them; a parked message keeps the trace it
 * came with, and its replay continues that trace.
 */

const DEAD_LETTERS = Streams.deadLetters.name;

export interface ParkInput {
  consumer: string;
  stream: string;
  subject: string;
  streamSeq: number;
  body: string;
  messageId: string | null;
  attempts: number;
  lastError: string;
  trace?: Record<string, string>;
}

/** What parking a JetStream message records: its origin, its body, and who it is about. */
export function parkInputOf(
  msg: JsMsg,
  consumer: string,
  attempts: number,
  error: unknown,
): ParkInput {
  return {
    consumer,
    stream: msg.info.stream,
    subject: msg.subject,
    streamSeq: msg.seq,
    body: msg.string(),
    messageId: msg.headers?.get('Nats-Msg-Id') || null,
    attempts,
    lastError: describe(error),
    ...traceOf(msg),
  };
}

function traceOf(msg: JsMsg): { trace?: Record<string, string> } {
  const present = TRACE_HEADERS.filter((key) => msg.headers?.get(key));
  if (present.length === 0) return {};
  return { trace: Object.fromEntries(present.map((key) => [key, msg.headers!.get(key)])) };
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Parks one message; parking the same stored copy twice records it once. */
export async function parkMessage(bus: Publisher, input: ParkInput): Promise<void> {
  let type: string | null = null;
  let workspaceId: string | null = null;
  let messageId = input.messageId;
  try {
    const envelope = JSON.parse(input.body) as Partial<Envelope>;
    type = typeof envelope.type === 'string' ? envelope.type : null;
    workspaceId = typeof envelope.workspaceId === 'string' ? envelope.workspaceId : null;
    messageId ??= typeof envelope.id === 'string' ? envelope.id : null;
  } catch {
    // Not JSON: parked as it is, which is often why it could not be handled.
  }
  const data: ParkedMessage = {
    consumer: input.consumer,
    stream: input.stream,
    subject: input.subject,
    streamSeq: input.streamSeq,
    messageId,
    type,
    workspaceId,
    attempts: input.attempts,
    lastError: input.lastError.slice(0, 2_000),
    parkedAt: new Date().toISOString(),
    body: input.body,
    trace: input.trace ?? null,
  };
  const envelope = createEnvelope({ type: MESSAGE_PARKED, data, workspaceId, actor: 'system' });
  // The dead letter continues the trace of the message it parks (the consumer's own otherwise).
  await bus.publish(deadLetterSubject(input.consumer), JSON.stringify(envelope), {
    msgID: `dead:${input.consumer}:${input.stream}:${input.streamSeq}`,
    ...(input.trace ? { trace: input.trace } : {}),
  });
}

/** Parks the message and acknowledges it, so its consumer moves on. */
export async function parkAndAck(
  bus: Publisher,
  msg: JsMsg,
  consumer: string,
  attempts: number,
  error: unknown,
): Promise<void> {
  await parkMessage(bus, parkInputOf(msg, consumer, attempts, error));
  msg.ack();
}

/**
 * True when the message is a replay meant for another consumer of the same stream (see
 * REPLAY_FOR_HEADER): acknowledge it and do nothing.
 */
export function replayedForAnother(msg: JsMsg, consumer: string): boolean {
  const target = msg.headers?.get(REPLAY_FOR_HEADER);
  return !!target && target !== consumer;
}

/** True when the message is a replay of something this consumer parked. */
export function replayedFor(msg: JsMsg, consumer: string): boolean {
  return msg.headers?.get(REPLAY_FOR_HEADER) === consumer;
}

export interface DeadLetterEntry extends Omit<ParkedMessage, 'body'> {
  /** Sequence in DEAD_LETTERS: what `replay` and `discard` take (or the message id). */
  seq: number;
}

/** How many messages this consumer has parked now. */
export async function countParked(jsm: JetStreamManager, consumer: string): Promise<number> {
  const subject = deadLetterSubject(consumer);
  const info = await jsm.streams.info(DEAD_LETTERS, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

async function* parked(
  jsm: JetStreamManager,
  consumer?: string,
): AsyncGenerator<{ seq: number; parked: ParkedMessage }> {
  const { state } = await jsm.streams.info(DEAD_LETTERS);
  if (state.messages === 0) return;
  const wanted = consumer === undefined ? undefined : deadLetterSubject(consumer);
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(DEAD_LETTERS, { seq }).catch(() => null);
    if (!message || !message.subject.startsWith(`${DeadLetterSubjects.prefix}.`)) continue;
    if (wanted !== undefined && message.subject !== wanted) continue;
    yield { seq, parked: message.json<Envelope<string, ParkedMessage>>().data };
  }
}

export async function listDeadLetters(
  jsm: JetStreamManager,
  filter: { consumer?: string } = {},
): Promise<DeadLetterEntry[]> {
  const entries: DeadLetterEntry[] = [];
  for await (const { seq, parked: p } of parked(jsm, filter.consumer)) {
    const { body: _body, ...entry } = p;
    entries.push({ seq, ...entry });
  }
  return entries;
}

export class DeadLetterNotFound extends Error {
  override name = 'DeadLetterNotFound';
  readonly kind = 'not_found';
  readonly code = 'dead_letter_not_found';
}

async function find(
  jsm: JetStreamManager,
  id: string,
): Promise<{ seq: number; parked: ParkedMessage }> {
  for await (const entry of parked(jsm)) {
    if (String(entry.seq) === id || entry.parked.messageId === id) return entry;
  }
  throw new DeadLetterNotFound(`no dead letter ${id}`);
}

/**
 * Puts a parked message back on its subject, unchanged, for the consumer that parked it only
 * (REPLAY_FOR_HEADER), in the trace it first came with, and removes it from the dead letters.
 * Its message id is new, so the stream does not absorb it as a duplicate of the original.
 */
export async function replayDeadLetter(
  bus: Publisher,
  jsm: JetStreamManager,
  id: string,
): Promise<DeadLetterEntry & { replayedSeq: number }> {
  const { seq, parked: p } = await find(jsm, id);
  const ack = await bus.publish(p.subject, p.body, {
    msgID: `replay:${p.consumer}:${seq}`,
    headers: { [REPLAY_FOR_HEADER]: p.consumer },
    ...(p.trace ? { trace: p.trace } : {}),
  });
  await jsm.streams.deleteMessage(DEAD_LETTERS, seq);
  const { body: _body, ...entry } = p;
  return { seq, ...entry, replayedSeq: ack.seq };
}

/** Drops a parked message for good: ops decided it is not to be handled. */
export async function discardDeadLetter(
  jsm: JetStreamManager,
  id: string,
): Promise<DeadLetterEntry> {
  const { seq, parked: p } = await find(jsm, id);
  await jsm.streams.deleteMessage(DEAD_LETTERS, seq);
  const { body: _body, ...entry } = p;
  return { seq, ...entry };
}
