import { Inject, Injectable } from '@nestjs/common';
import { BUS } from '#libs/service-kit/src/index.js';
import { randomUUID } from 'node:crypto';
import {
  createEnvelope,
  eventSubject,
  ScannerSubjects,
  type Envelope,
} from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';

/**
 * Publishes scanner events to SCANNER_EVENTS. `messageId` (Nats-Msg-Id) makes a republish after a
 * restart collapse into one event; JetStream's ack means the event is stored before we go on.
 */
@Injectable()
export class ScannerEvents {
  constructor(@Inject(BUS) private readonly bus: Bus) {}

  async publish<TData>(
    type: string,
    workspaceId: string,
    data: TData,
    options: {
      messageId?: string;
      correlationId?: string | null;
      causationId?: string | null;
      /** Who asked for it (a member and their key); the scanner itself otherwise. */
      actor?: string;
      actorKeyId?: string;
    } = {},
  ): Promise<Envelope<string, TData>> {
    const envelope = createEnvelope({
      id: options.messageId ?? randomUUID(),
      type,
      data,
      workspaceId,
      actor: options.actor ?? 'system',
      ...(options.actorKeyId ? { actorKeyId: options.actorKeyId } : {}),
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      causationId: options.causationId ?? null,
    });
    await this.bus.publish(eventSubject(ScannerSubjects.events, type), JSON.stringify(envelope), {
      msgID: envelope.id,
    });
    return envelope;
  }
}
