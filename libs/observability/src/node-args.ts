import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The Node flags that load tracing before a built service's code (see register.ts), for
 * whatever starts one: `npm start`, the benches and the tests' service processes. Paths are from
 * the repository root, where all of them run. docker-compose.yml writes the same flag.
 */
export function tracingNodeArgs(): string[] {
  return ['--import', pathToFileURL(resolve('dist/libs/observability/src/register.js')).href];
}
