import { ServerNats } from '@nestjs/microservices';

/**
 * Nest's NATS server, taking a subject for the route it is. Nest first tries `JSON.parse` on the
 * pattern of every message (a pattern may be an object, sent as JSON), and the SyntaxError each
 * plain subject throws cost about 1.5% of the integration service's CPU serving the rules engine
 * (`npm run bench:rules` with BENCH_CPU_PROFILE_DIR). Only an object pattern starts with `{`.
 */
export class SubjectServerNats extends ServerNats {
  protected override getRouteFromPattern(pattern: string): string {
    return pattern.startsWith('{')
      ? super.getRouteFromPattern(pattern)
      : this.normalizePattern(pattern);
  }
}
