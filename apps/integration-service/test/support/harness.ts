import { randomBytes, randomUUID } from 'node:crypto';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { createEnvelope, type Reply } from '#libs/contracts/src/index.js';
import { startService, type RunningService } from '#libs/service-kit/src/index.js';
import { NatsServerFixture, PostgresFixture } from '#libs/testing/src/index.js';
import { integrationService } from '../../src/service.js';
import type pg from 'pg';
import { CommandHandler, EventPublisher, EventStore } from '#libs/event-store/src/index.js';
import { PG_POOL } from '../../src/write-side/write-side.module.js';

/** The write side's parts, as the service's handlers get them injected. */
export interface WriteSideParts {
  commands: CommandHandler;
  store: EventStore;
  publisher: EventPublisher;
  pool: pg.Pool;
}

/**
 * The integration service in this process against its own nats-server and database, and a
 * Nest NATS client talking to it the way the gateway does.
 */
export interface Harness {
  nats: NatsServerFixture;
  db: PostgresFixture;
  service: RunningService;
  writeSide: WriteSideParts;
  env: Record<string, string>;
  client: ClientProxy;
  send<T>(
    subject: string,
    data: unknown,
    options?: { workspaceId?: string; idempotencyKey?: string; actor?: string },
  ): Promise<Reply<T>>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
): Promise<Harness & { workspaceId: string }> {
  const nats = await NatsServerFixture.start();
  const db = await PostgresFixture.create('integration');
  const fullEnv = {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    CREDENTIALS_MASTER_KEY: randomBytes(32).toString('base64'),
    EVENT_PUBLISH_POLL_MS: '10',
    // Tests connect GitHub with a bare body; the install flow has its own suite.
    GITHUB_CONNECT_REQUIRES_INSTALL_FLOW: 'false',
    ...env,
  };
  const service = await startService(integrationService, fullEnv);
  const client = ClientProxyFactory.create({
    transport: Transport.NATS,
    options: { servers: [nats.url] },
  });
  await client.connect();
  const workspaceId = randomUUID();
  return {
    nats,
    db,
    service,
    writeSide: {
      commands: service.app.get(CommandHandler),
      store: service.app.get(EventStore),
      publisher: service.app.get(EventPublisher),
      pool: service.app.get<pg.Pool>(PG_POOL),
    },
    env: fullEnv,
    client,
    workspaceId,
    async send<T>(
      subject: string,
      data: unknown,
      options: { workspaceId?: string; idempotencyKey?: string; actor?: string } = {},
    ) {
      const envelope = createEnvelope({
        type: subject,
        data,
        workspaceId: options.workspaceId ?? workspaceId,
        actor: options.actor ?? 'member-1',
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      });
      return firstValueFrom(client.send<Reply<T>>(subject, envelope).pipe(timeout(10_000)));
    },
    async close() {
      await client.close();
      await service.close();
      await nats.dispose();
      await db.dispose();
    },
  };
}

/** The value of a successful reply; fails the test with the error otherwise. */
export function value<T>(reply: Reply<T>): T {
  if (!reply.ok) throw new Error(`expected success, got ${JSON.stringify(reply.error)}`);
  return reply.value;
}

export function errorOf(reply: Reply<unknown>) {
  if (reply.ok) throw new Error(`expected an error, got ${JSON.stringify(reply.value)}`);
  return reply.error;
}
