import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { SubjectServerNats } from './subject-server-nats.js';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { z } from 'zod';
import { Streams, type StreamDefinition } from '#libs/contracts/src/index.js';
import { commonEnv, loadConfig, type CommonEnv } from '#libs/config/src/index.js';
import { createDataSource, migrate, type MigrationClass } from '#libs/database/src/index.js';
import { createLogger, PinoNestLogger, withCorrelation } from '#libs/logging/src/index.js';
import {
  Bus,
  busCredentials,
  connectToBus,
  ensureStreams,
  jetstreamManager,
  natsServers,
} from '#libs/messaging/src/index.js';
import {
  collectProcessMetrics,
  flushTracing,
  instrumentHttp,
  serveMetrics,
  traceHttp,
  watchJetStream,
  watchProjections,
  watchReadiness,
} from '#libs/observability/src/index.js';
import { Projections } from '#libs/projections/src/index.js';
import { coreReadinessChecks } from './core-checks.js';
import { InfrastructureModule, type Infrastructure } from './infrastructure.module.js';
import type { ReadinessCheck } from './readiness-check.js';
import { describeError, redactUrl, StartupError } from './startup-error.js';
import { answerHealthOverBus } from './bus-health.js';
import { randomUUID } from 'node:crypto';

type ShapeConfig<TShape extends z.ZodRawShape> = z.infer<z.ZodObject<TShape>>;

export interface ServiceSpec<TShape extends z.ZodRawShape> {
  name: string;
  /** Postgres schema the service owns. */
  schema: string;
  migrations: MigrationClass[];
  /** Streams the service writes or reads; created or updated at start. */
  streams: readonly StreamDefinition[];
  /** Subject on which the service reports its health to the gateway. */
  healthSubject: string;
  /** Service-specific variables, on top of the common ones; must include PORT. */
  env: TShape;
  rootModule: (infra: Infrastructure<ShapeConfig<TShape> & CommonEnv>) => DynamicModule | Type;
  extraReadinessChecks?: (
    infra: Infrastructure<ShapeConfig<TShape> & CommonEnv>,
  ) => ReadinessCheck[];
  /**
   * Checks across variables, run right after the environment is read (throw a ConfigError):
   * for what one variable's schema cannot say, such as "this one or that one".
   */
  checkConfig?: (config: ShapeConfig<TShape> & CommonEnv) => void;
  /** Body size limit for HTTP requests, in bytes. */
  bodyLimit?: number;
  configureApp?: (
    app: NestFastifyApplication,
    infra: Infrastructure<ShapeConfig<TShape> & CommonEnv>,
  ) => Promise<void> | void;
}

export interface RunningService<TConfig = unknown> {
  name: string;
  url: string;
  app: INestApplication;
  infra: Infrastructure<TConfig>;
  close(): Promise<void>;
}

/** A caller's id is kept when it is a plain token; anything else could forge log lines. */
const CORRELATION_ID = /^[\w.:-]{1,128}$/;
function correlationIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
}

/**
 * Config, Postgres (migrated), NATS (streams ensured), then Nest on Fastify with a NATS
 * microservice in a queue group named after the service, so replicas share requests.
 */
export async function startService<TShape extends z.ZodRawShape>(
  spec: ServiceSpec<TShape>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningService<ShapeConfig<TShape> & CommonEnv>> {
  const config = loadConfig({ ...commonEnv, ...spec.env }, env) as ShapeConfig<TShape> &
    CommonEnv & { PORT: number };
  spec.checkConfig?.(config);
  const logger = createLogger(spec.name, config.LOG_LEVEL);

  const dataSource = createDataSource({
    url: config.DATABASE_URL,
    schema: spec.schema,
    migrations: spec.migrations,
    applicationName: spec.name,
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new StartupError(
      'DATABASE_URL',
      `cannot connect to ${redactUrl(config.DATABASE_URL)} (${describeError(error)})`,
    );
  }
  // Each projection's leader holds a connection for as long as it leads (its advisory lock, and
  // its applies): from a pool of their own, or the gateway's seven would hold most of the pool
  // that requests draw on. Read models are rebuilt from the streams after a crash, so their
  // commits do not wait for the disk.
  const leases = createDataSource({
    url: config.DATABASE_URL,
    schema: spec.schema,
    migrations: [],
    applicationName: `${spec.name}-leases`,
    poolSize: 16,
    asyncCommit: true,
  });
  let bus: Bus;
  try {
    await leases.initialize();
    await migrate(dataSource, spec.schema);
    const nc = await connectToBus(config.NATS_URL, spec.name, logger, busCredentials(config)).catch(
      (error: unknown) => {
        throw new StartupError(
          'NATS_URL',
          `cannot connect to ${redactUrl(config.NATS_URL)} (${describeError(error)})`,
        );
      },
    );
    const jsm = await jetstreamManager(nc).catch((error: unknown) => {
      throw new StartupError(
        'NATS_URL',
        `JetStream is not enabled on ${redactUrl(config.NATS_URL)} (${describeError(error)})`,
      );
    });
    // Every consumer may park what it cannot handle: every service has the dead letters.
    const streams = spec.streams.some((s) => s.name === Streams.deadLetters.name)
      ? spec.streams
      : [...spec.streams, Streams.deadLetters];
    bus = new Bus(nc, jsm, streams);
    await ensureStreams(jsm, streams, {
      limits: config.STREAM_LIMITS,
      replicas: config.NATS_STREAM_REPLICAS,
    });
  } catch (error) {
    await leases.destroy().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw error;
  }

  const infra: Infrastructure<ShapeConfig<TShape> & CommonEnv> = {
    serviceName: spec.name,
    config,
    logger,
    dataSource,
    bus,
    projections: new Projections({ dataSource, leases, bus, logger, schema: spec.schema }),
  };
  const checks = [
    ...coreReadinessChecks(dataSource, bus),
    ...(spec.extraReadinessChecks?.(infra) ?? []),
  ];

  @Module({ imports: [InfrastructureModule.forRoot(infra, checks), spec.rootModule(infra)] })
  class ServiceRootModule {}

  const adapter = new FastifyAdapter({
    bodyLimit: spec.bodyLimit ?? 1024 * 1024,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
      // Node enforces both timeouts only when it sweeps its connections, by default every 30 s,
      // which let a slow client hold a connection for half a minute past either of them.
      connectionsCheckingInterval: Math.min(1_000, config.HTTP_HEADERS_TIMEOUT_MS),
    },
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_MS,
    trustProxy: config.TRUST_PROXY,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      correlationIdFrom(req.headers['x-correlation-id']),
  });
  const app = await NestFactory.create<NestFastifyApplication>(ServiceRootModule, adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-correlation-id', request.id);
    withCorrelation({ correlationId: request.id }, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!logger.isLevelEnabled('debug')) return done();
    // 'finish' listeners do not inherit the request's async context: bind it again.
    withCorrelation({ correlationId: request.id }, () =>
      logger.debug(
        {
          method: request.method,
          route: request.routeOptions.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'http request handled',
      ),
    );
    done();
  });
  // Before the app's own hooks, so requests a hook answers early (the list fast path) are
  // traced and timed.
  traceHttp(fastify);
  const unwatch: Array<() => void> = [];
  if (config.METRICS_ENABLED) {
    collectProcessMetrics();
    instrumentHttp(fastify);
    serveMetrics(fastify);
    unwatch.push(
      watchJetStream(bus),
      watchReadiness(spec.name, checks),
      watchProjections(() => infra.projections.statuses()),
    );
  }
  await spec.configureApp?.(app, infra);

  app.connectMicroservice<MicroserviceOptions>(
    {
      strategy: new SubjectServerNats({
        servers: natsServers(config.NATS_URL),
        ...busCredentials(config),
        queue: spec.name,
        name: `${spec.name}-rpc`,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      }),
    },
    { inheritAppConfig: true },
  );
  const healthResponder = answerHealthOverBus(bus, spec.name, spec.healthSubject, checks);
  await app.startAllMicroservices();
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, `${spec.name} ready`);

  let closing: Promise<void> | undefined;
  return {
    name: spec.name,
    url,
    app,
    infra,
    close() {
      closing ??= (async () => {
        logger.info('shutting down: no new work, finishing what is in flight');
        healthResponder.unsubscribe();
        for (const stop of unwatch) stop();
        await app.close();
        await bus.nc.drain().catch(() => undefined);
        await leases.destroy().catch(() => undefined);
        await dataSource.destroy().catch(() => undefined);
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

/**
 * The `main.ts` of every service: start, stop cleanly on SIGTERM/SIGINT with exit 0, and turn a
 * bad variable or an unreachable dependency into one line on stderr and exit 1.
 */
export async function runServiceMain<TShape extends z.ZodRawShape>(spec: ServiceSpec<TShape>) {
  let service: RunningService | undefined;
  try {
    service = await startService(spec);
  } catch (error) {
    const line =
      error instanceof Error && (error.name === 'ConfigError' || error.name === 'StartupError')
        ? error.message
        : `failed to start: ${describeError(error)}`;
    process.stderr.write(`${spec.name}: ${line}\n`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    service!.infra.logger.info({ signal }, 'signal received');
    const forced = setTimeout(() => process.exit(1), 15_000).unref();
    service!
      .close()
      .then(() => flushTracing())
      .then(() => {
        clearTimeout(forced);
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
