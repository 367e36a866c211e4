import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import PinoPretty from 'pino-pretty';

/**
 * Services always log JSON, for ops and log shippers. A person watching `npm start` in a terminal
 * reads time, level, service and message instead; piped or redirected, the JSON passes untouched.
 */
export function showServiceOutput(child: ChildProcess, readable = Boolean(process.stdout.isTTY)) {
  if (!readable) {
    child.stdout?.pipe(process.stdout, { end: false });
    child.stderr?.pipe(process.stderr, { end: false });
    return;
  }
  const format = PinoPretty.prettyFactory({
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{service} {msg}',
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      process.stdout.write(format(line)),
    );
  }
}
