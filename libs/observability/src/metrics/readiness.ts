import { Gauge } from 'prom-client';
import { bounded, family } from './registry.js';

export interface NamedCheck {
  name: string;
  check: () => Promise<void>;
}

const sources = new Set<{ service: string; checks: readonly NamedCheck[] }>();

/**
 * Readiness as a metric: the same checks `GET /health/ready` runs, run when Prometheus scrapes,
 * so "a service not ready" is an alert and not only a probe's answer.
 */
const readiness = family(
  'service_readiness_check',
  () =>
    new Gauge({
      name: 'service_readiness_check',
      help: 'Each readiness check of the service: 1 passing, 0 failing (postgres, nats, ...).',
      labelNames: ['service', 'check'] as const,
      async collect() {
        this.reset();
        for (const { service, checks } of sources) {
          await Promise.all(
            checks.map(async ({ name, check }) => {
              const up = await bounded(check(), 1_500, 'timed out').then(
                () => 1,
                () => 0,
              );
              this.set({ service, check: name }, up);
            }),
          );
        }
      },
    }),
);

/** Shows the service's readiness checks on `/metrics`; the returned function stops it. */
export function watchReadiness(service: string, checks: readonly NamedCheck[]): () => void {
  void readiness;
  const source = { service, checks };
  sources.add(source);
  return () => sources.delete(source);
}
