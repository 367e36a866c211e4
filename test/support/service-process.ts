import { tracingNodeArgs } from '#libs/observability/src/node-args.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export type ServiceName =
  'api-gateway' | 'integration-service' | 'scanner-service' | 'rules-engine';

/** The built entry point of a service; `npm test` builds before Jest runs. */
export function serviceEntry(service: ServiceName): string {
  const entry = resolve(`dist/apps/${service}/src/main.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs a built service as its own process, as `npm start` and Docker do (tracing loaded first). */
export function spawnService(service: ServiceName, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [...tracingNodeArgs(), serviceEntry(service)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => resolveExit(code)),
  );
  return { child, output: () => output, exited };
}
