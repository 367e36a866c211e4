import type { Projection } from './projection.js';
import {
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionStatus,
} from './projection-runner.js';

/**
 * Every projection of a service, each run by its own ProjectionRunner: feature modules add theirs
 * (`projections.run(projection)`), the service starts them once Nest has started and stops them
 * before it closes the database; readiness details, logs and metrics read `statuses()`.
 */
export class Projections {
  private readonly runners: ProjectionRunner[] = [];
  private started = false;

  constructor(
    private readonly infra: Pick<
      ProjectionRunnerOptions,
      'dataSource' | 'leases' | 'bus' | 'logger' | 'schema'
    >,
  ) {}

  run(
    projection: Projection,
    options: Pick<
      ProjectionRunnerOptions,
      'onApplied' | 'retryMs' | 'maxAttempts' | 'idleCheckpointMs'
    > = {},
  ): ProjectionRunner {
    if (this.runners.some((r) => r.name === projection.name)) {
      throw new Error(`projection ${projection.name} runs already`);
    }
    const runner = new ProjectionRunner(projection, { ...this.infra, ...options });
    this.runners.push(runner);
    if (this.started) runner.start();
    return runner;
  }

  get(name: string): ProjectionRunner | undefined {
    return this.runners.find((r) => r.name === name);
  }

  get names(): string[] {
    return this.runners.map((r) => r.name);
  }

  start(): void {
    this.started = true;
    for (const runner of this.runners) runner.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  /** Each projection's lag and parked count now; the last known numbers where the bus is away. */
  async statuses(): Promise<ProjectionStatus[]> {
    return Promise.all(this.runners.map((r) => r.status().catch(() => r.lastStatus)));
  }

  /** The numbers last read, without a round trip (for a metrics scrape). */
  snapshot(): ProjectionStatus[] {
    return this.runners.map((r) => r.lastStatus);
  }
}
