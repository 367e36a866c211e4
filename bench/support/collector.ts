import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const COLLECTOR = `
import { OtlpReceiver } from './dist/libs/testing/src/otlp-receiver.js';
const receiver = await OtlpReceiver.start({ keep: false });
console.log(receiver.url);
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ requests: receiver.requests, spans: receiver.received }));
  process.exit(0);
});
`;

/**
 * A local trace collector in its own process (the OTLP/HTTP receiver of libs/testing, counting), so
 * decoding what a traced service exports costs the load generator nothing. `stop()` says how
 * many export requests and spans it took.
 */
export async function startCollector(
  children: ChildProcess[],
): Promise<{ url: string; stop(): Promise<{ requests: number; spans: number }> }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', COLLECTOR], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const url = String((await lines.next()).value);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const counts = (await lines.next()).value;
      return counts ? JSON.parse(counts) : { requests: 0, spans: 0 };
    },
  };
}
