import { parseArgs } from 'node:util';
import { startSlackSimulator } from './server.js';

/** `npm run slack-sim -- --port <p>`: prints `{"url"}` and serves until SIGINT/SIGTERM. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`slack-sim: --port must be a port number, got "${values.port}"\n`);
  process.exit(2);
}
const simulator = await startSlackSimulator({ port, host: values.host });
process.stdout.write(`${JSON.stringify({ url: simulator.url })}\n`);
const stop = () => void simulator.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
