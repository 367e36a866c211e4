import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { READINESS_CHECKS } from './tokens.js';
import type { ReadinessCheck } from './readiness-check.js';

const CHECK_TIMEOUT_MS = 1_500;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** The process runs and its event loop turns; says nothing about dependencies. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** 503 names each failing dependency (postgres, nats, jetstream, a downstream service). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.checks.map(
        ({ name, check }) =>
          () =>
            this.indicators
              .check(name)
              .attempt(() => check())
              .withTimeout(CHECK_TIMEOUT_MS),
      ),
    );
  }
}
