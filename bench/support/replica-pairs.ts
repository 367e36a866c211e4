import type { ChildProcess } from 'node:child_process';
import { autocannon } from './autocannon.js';
import { cpuMs } from './proc.js';
import { startService, stop } from './services.js';
import { upperMedian as median } from './stats.js';

export interface ReplicaPairs {
  /** Extra CPU per request of the variant over the baseline, one figure per pair. */
  extra: number[];
  /** The median of `extra`. */
  median: number;
  /** All pairs' CPU per request pooled: variant over baseline, minus one. */
  pooled: number;
  /** Mean CPU per request of each side, in µs. */
  baselineMicros: number;
  variantMicros: number;
}

/**
 * What one setting costs a gateway replica on a list, measured so that the machine's noise
 * falls on both sides alike: `pairs` times, a fresh baseline replica and a fresh variant
 * (differing in `variant` only) start side by side, are warmed, then take the same load at the
 * same moment for `seconds`; each replica's own CPU time (from /proc) per request is compared.
 * Fresh replicas per pair average out what one process's history does to it (what its JIT and
 * heap settled on). A CPU-bound replica's throughput is the inverse of its CPU per request, so
 * `extra` is the throughput it loses; throughput itself is not compared, since the two share
 * the machine and the load generator.
 */
export async function compareReplicaPairs(options: {
  baseline: Record<string, string>;
  variant: Record<string, string>;
  pairs: number;
  seconds: number;
  warmSeconds?: number;
  connections: number;
  /** The list request each replica answers. */
  path: string;
  headers: Record<string, string>;
  ready: (status: number) => boolean;
}): Promise<ReplicaPairs> {
  const load = async (replica: { url: string; child: ChildProcess }, duration: number) => {
    const before = cpuMs(replica.child.pid!);
    const result = await autocannon({
      url: `${replica.url}${options.path}`,
      headers: options.headers,
      connections: options.connections,
      duration,
    });
    return { cpu: cpuMs(replica.child.pid!) - before, requests: result.requests.total };
  };
  const extra: number[] = [];
  const totals = { baseCpu: 0, baseRequests: 0, variantCpu: 0, variantRequests: 0 };
  for (let pair = 0; pair < options.pairs; pair++) {
    const children: ChildProcess[] = [];
    try {
      const start = (env: Record<string, string>) =>
        startService('api-gateway', env, children, { ready: options.ready });
      const [base, variant] = await Promise.all([start(options.baseline), start(options.variant)]);
      const warm = options.warmSeconds ?? 3;
      await Promise.all([load(base, warm), load(variant, warm)]);
      const [b, v] = await Promise.all([
        load(base, options.seconds),
        load(variant, options.seconds),
      ]);
      extra.push(v.cpu / v.requests / (b.cpu / b.requests) - 1);
      totals.baseCpu += b.cpu;
      totals.baseRequests += b.requests;
      totals.variantCpu += v.cpu;
      totals.variantRequests += v.requests;
    } finally {
      await Promise.all(children.map(stop));
    }
  }
  const baseline = totals.baseCpu / totals.baseRequests;
  const variant = totals.variantCpu / totals.variantRequests;
  return {
    extra,
    median: median(extra),
    pooled: variant / baseline - 1,
    baselineMicros: baseline * 1000,
    variantMicros: variant * 1000,
  };
}

/** `+6.1% +4.0% …` */
export const percents = (values: number[]) =>
  values.map((v) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`).join(' ');
