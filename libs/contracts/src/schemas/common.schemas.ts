import { z } from 'zod';
import type { ServiceHealthReply } from '../health.js';
import type { ReplyError } from '../reply.js';
import { describes } from './proof.js';

export const isoTime = z.string().describe('ISO 8601 time');

/** The one envelope every message travels in, with `data` of the given schema. */
export const envelopeOf = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.string(),
    type: z.literal(type),
    schemaVersion: z.number().int(),
    occurredAt: isoTime,
    workspaceId: z.string().nullable(),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    actor: z.string().optional(),
    actorKeyId: z.string().optional(),
    idempotencyKey: z.string().optional(),
    position: z.string().optional(),
    streamId: z.string().optional(),
    streamVersion: z.number().int().optional(),
    data,
  });

export const replyErrorSchema = describes<ReplyError>()(
  z.object({
    kind: z.enum([
      'validation',
      'not_found',
      'conflict',
      'forbidden',
      'payload_too_large',
      'unavailable',
      'internal',
    ]),
    code: z.string(),
    message: z.string(),
    details: z
      .union([
        z.array(z.object({ field: z.string(), message: z.string() })),
        z.record(z.string(), z.unknown()),
      ])
      .optional(),
  }),
);

/** Every request/reply answer: the value, or a typed error. */
export const replyOf = <V extends z.ZodType>(value: V) =>
  z.union([
    z.object({ ok: z.literal(true), value, position: z.string().optional() }),
    z.object({ ok: z.literal(false), error: replyErrorSchema }),
  ]);

const componentHealth = z.object({
  status: z.enum(['up', 'down']),
  message: z.string().optional(),
});
export const serviceHealthReplySchema = describes<ServiceHealthReply>()(
  z.object({
    service: z.string(),
    status: z.enum(['up', 'down']),
    components: z.record(z.string(), componentHealth),
  }),
);

export const empty = z.object({});
