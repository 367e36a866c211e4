import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Projections } from '#libs/projections/src/index.js';
import { READINESS_CHECKS } from './tokens.js';
import type { ReadinessCheck } from './readiness-check.js';

const CHECK_TIMEOUT_MS = 1_500;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(Projections) private readonly projections: Projections,
  ) {}

  /** The process runs and its event loop turns; says nothing about dependencies. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * 503 names each failing dependency (postgres, nats, jetstream, a downstream service). Each
   * projection's lag and parked count are shown under `projections` and never fail readiness:
   * a lagging read model still answers, and a parked event is for ops, not for the load balancer.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    const projections = this.projections.names.length === 0 ? [] : [() => this.projectionDetails()];
    return this.health.check([
      ...this.checks.map(
        ({ name, check }) =>
          () =>
            this.indicators
              .check(name)
              .attempt(() => check())
              .withTimeout(CHECK_TIMEOUT_MS),
      ),
      ...projections,
    ]);
  }

  private async projectionDetails() {
    const statuses = await Promise.race([
      this.projections.statuses(),
      new Promise<ReturnType<Projections['snapshot']>>((resolve) =>
        setTimeout(() => resolve(this.projections.snapshot()), CHECK_TIMEOUT_MS).unref(),
      ),
    ]);
    return this.indicators
      .check('projections')
      .up(
        Object.fromEntries(
          statuses.map((s) => [s.name, { state: s.state, lag: s.lag, parked: s.parked }]),
        ),
      );
  }
}
