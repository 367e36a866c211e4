import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '#libs/database/src/index.js';
import { LOGGER, SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import { BusUnavailable, DeliveryPublisher, DeliveryTooLargeForBus } from './delivery-publisher.js';
import { InstallationDirectory } from './installation-directory.js';
import { IntakeCounters } from './intake-counters.js';
import { readDelivery } from './read-delivery.js';
import { DeliveryAdmission } from './delivery-admission.js';
import { SignatureVerifier } from './signature.js';
import { InFlight } from '../limits/in-flight.js';
import type { LimitsConfig } from '../limits/limits.config.js';
import type { WebhookConfig } from './webhook.config.js';

export const GITHUB_WEBHOOK_PATH = '/api/webhooks/github';

function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  retryAfterSeconds?: number,
) {
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  return reply.status(status).send({ error: { code, message } });
}

/**
 * `POST /api/webhooks/github`. A plain Fastify route in its own encapsulated scope, because the
 * signature covers the raw bytes: this scope keeps the body as a Buffer (the rest of the gateway
 * parses JSON) and allows 25 MB (the rest stays at 1 MB). At most WEBHOOK_MAX_IN_FLIGHT bodies are
 * taken at once (503 with Retry-After beyond). Answers 202 only once JetStream has stored the
 * delivery; a database or bus that cannot take it now is 503 with Retry-After, never 500.
 */
@Injectable()
export class WebhookIntakeRoute implements OnModuleInit {
  private readonly verifier: SignatureVerifier;
  private readonly inFlight: InFlight;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly publisher: DeliveryPublisher,
    private readonly installations: InstallationDirectory,
    private readonly counters: IntakeCounters,
    private readonly admission: DeliveryAdmission,
    @Inject(SERVICE_CONFIG) private readonly config: WebhookConfig & LimitsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verifier = new SignatureVerifier([
      config.GITHUB_WEBHOOK_SECRET,
      config.GITHUB_WEBHOOK_SECRET_PREVIOUS,
    ]);
    this.inFlight = new InFlight(config.WEBHOOK_MAX_IN_FLIGHT);
  }

  onModuleInit(): void {
    if (!this.verifier.configured) {
      this.logger.warn('GITHUB_WEBHOOK_SECRET is not set: every GitHub delivery will get 401');
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const bodyLimit = this.config.GITHUB_WEBHOOK_BODY_LIMIT_BYTES;
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', (_request, reply, done) => {
        if (this.inFlight.enter(reply)) return done();
        this.counters.count('busy');
        return sendError(
          reply,
          503,
          'busy',
          `${this.inFlight.max} deliveries are being taken already; retry`,
          1,
        );
      });
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
        done(null, body),
      );
      scope.setErrorHandler(
        (error: Error & { statusCode?: number; code?: string }, _req, reply) => {
          if (error.statusCode === 413) {
            this.counters.count('too_large');
            return sendError(
              reply,
              413,
              'payload_too_large',
              `the body exceeds ${bodyLimit} bytes`,
            );
          }
          if (error.statusCode && error.statusCode < 500) {
            return sendError(reply, error.statusCode, 'bad_request', error.message);
          }
          // A burst can hold every pooled connection past the pool's connect timeout: the
          // delivery was not taken, and GitHub (or the sender) should try again, as for the bus.
          if (isDatabaseUnavailable(error)) {
            this.counters.count('database_unavailable');
            this.logger.warn({ err: error.message }, 'delivery not taken: the database is busy');
            return sendError(
              reply,
              503,
              'database_unavailable',
              'the delivery could not be taken now; retry',
              5,
            );
          }
          this.logger.error({ err: error }, 'webhook intake failed');
          return sendError(reply, 500, 'internal', 'the delivery could not be taken');
        },
      );
      scope.post(GITHUB_WEBHOOK_PATH, { bodyLimit }, (request, reply) =>
        this.handle(request, reply),
      );
    });
  }

  private async handle(request: FastifyRequest, reply: FastifyReply) {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const signature = request.headers['x-hub-signature-256'];
    if (
      !(await this.verifier.verify(rawBody, Array.isArray(signature) ? signature[0] : signature))
    ) {
      this.counters.count('bad_signature');
      return sendError(
        reply,
        401,
        'invalid_signature',
        'X-Hub-Signature-256 is missing or does not match the webhook secret',
      );
    }
    const read = readDelivery(request.headers, rawBody, new Date());
    if (!read.ok) {
      this.counters.count('rejected');
      return sendError(reply, read.status, read.code, read.message);
    }
    const { delivery } = read;
    const { owner, replay } =
      delivery.installationId === null
        ? { owner: undefined, replay: false }
        : await this.admission.admit(delivery.installationId, rawBody, delivery.deliveryId);
    if (owner === undefined && !(await this.installations.current())) {
      this.counters.count('map_not_current');
      return sendError(
        reply,
        503,
        'installations_loading',
        'the installation map is still loading; retry',
        5,
      );
    }
    if (owner === undefined) {
      this.counters.count('unknown_installation', delivery.event);
      // Debug only: an app installed by many orgs would flood the log; counts go out each minute.
      this.logger.debug(
        {
          deliveryId: delivery.deliveryId,
          event: delivery.event,
          installationId: delivery.installationId,
        },
        'delivery for an installation no workspace has connected: acknowledged, not processed',
      );
      return reply.status(202).send({
        deliveryId: delivery.deliveryId,
        status: 'ignored',
        reason: 'unknown_installation',
      });
    }
    if (replay) {
      this.counters.count('duplicate', delivery.event);
      return reply.status(202).send({
        deliveryId: delivery.deliveryId,
        status: 'duplicate',
        reason: 'body_already_accepted',
      });
    }
    try {
      const { duplicate } = await this.publisher.publish(
        { ...delivery, integrationId: owner.integrationId },
        owner.workspaceId,
        rawBody,
      );
      this.counters.count(duplicate ? 'duplicate' : 'accepted', delivery.event);
      return reply
        .status(202)
        .send({ deliveryId: delivery.deliveryId, status: duplicate ? 'duplicate' : 'accepted' });
    } catch (error) {
      if (error instanceof DeliveryTooLargeForBus) {
        this.counters.count('too_large');
        return sendError(reply, 413, 'payload_too_large', error.message);
      }
      if (error instanceof BusUnavailable) {
        this.counters.count('bus_unavailable');
        this.logger.warn(
          { deliveryId: delivery.deliveryId, err: error.message },
          'delivery not stored: the bus did not acknowledge it',
        );
        return sendError(
          reply,
          503,
          'bus_unavailable',
          'the delivery could not be stored; retry',
          5,
        );
      }
      throw error;
    }
  }
}
