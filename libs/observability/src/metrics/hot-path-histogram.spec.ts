import { describe, expect, test } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { HotPathHistogram } from './hot-path-histogram.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [
  ['GET', '2xx', 0.0004],
  ['GET', '2xx', 0.001],
  ['GET', '2xx', 0.05],
  ['POST', '4xx', 0.2],
  ['GET', '2xx', 7],
];

describe('HotPathHistogram', () => {
  test("given the same observations, then its exposition is prom-client's Histogram's, line for line", async () => {
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'request_seconds',
      help: 'Request duration.',
      labelNames: ['method', 'status_class'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const ours = new Registry();
    const hot = new HotPathHistogram(
      'request_seconds',
      'Request duration.',
      ['method', 'status_class'],
      BOUNDS,
      ours,
    );

    for (const [method, status, seconds] of OBSERVED) {
      reference.labels(method, status).observe(seconds);
      hot.labels(method, status).observe(seconds);
    }

    const expected = await theirs.metrics();
    expect(expected).toContain(
      'request_seconds_bucket{le="+Inf",method="GET",status_class="2xx"} 4',
    );
    expect(sorted(await ours.metrics())).toEqual(sorted(expected));
  });

  test('given a reset, then it exposes no series until the next observation', async () => {
    const registry = new Registry();
    const hot = new HotPathHistogram('reset_seconds', 'Reset.', ['route'], BOUNDS, registry);
    hot.labels('/a').observe(0.5);
    hot.reset();
    expect(await registry.metrics()).not.toContain('reset_seconds_count');
  });
});

/** Lines in order, labels within each line in order: the text format does not fix either. */
function sorted(exposition: string): string[] {
  return exposition
    .trim()
    .split('\n')
    .map((line) => {
      const match = /^([^{ ]+)\{([^}]*)\} (.+)$/.exec(line);
      if (!match) return line;
      const labels = match[2]!.split(',').sort().join(',');
      return `${match[1]}{${labels}} ${match[3]}`;
    })
    .sort();
}
