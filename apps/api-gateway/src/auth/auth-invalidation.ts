import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { GatewaySubjects, type AuthInvalidated } from '#libs/contracts/src/index.js';
import type { Bus } from '#libs/messaging/src/index.js';
import { BUS, LOGGER } from '#libs/service-kit/src/index.js';
import { TokenCache } from './token-cache.js';

/**
 * Tells every gateway replica to forget cached keys after a revoke or a member change. On core
 * NATS, not JetStream: a lost notice only means the cache's TTL does the job instead.
 */
@Injectable()
export class AuthInvalidation implements OnModuleInit, OnModuleDestroy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly cache: TokenCache,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.subscription = this.bus.nc.subscribe(GatewaySubjects.authInvalidated, {
      callback: (error, msg) => {
        if (error) return;
        try {
          this.apply(msg.json<AuthInvalidated>());
        } catch {
          this.logger.warn('ignoring a malformed auth invalidation');
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** Forgets locally at once, then tells the other replicas. */
  announce(invalidation: AuthInvalidated): void {
    this.apply(invalidation);
    try {
      this.bus.nc.publish(GatewaySubjects.authInvalidated, JSON.stringify(invalidation));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not announce an auth invalidation; TTL applies');
    }
  }

  private apply({ tokenIds = [], memberIds = [] }: AuthInvalidated): void {
    this.cache.forgetTokens(tokenIds);
    this.cache.forgetMembers(memberIds);
    this.cache.forgetUnknown();
  }
}
