import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const SIMULATOR = 'dist/tools/slack-simulator/src/main.js';

/** With no SLACK_API_URL, the local Slack simulator stands in for slack.com/api (any xoxb- token). */
export async function startSlackSandbox(): Promise<
  { url: string; process: ChildProcess } | undefined
> {
  if (!existsSync(SIMULATOR)) return undefined;
  const child = spawn(process.execPath, [SIMULATOR, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`Slack simulator exited with ${code}`)));
  });
  return { url: (JSON.parse(firstLine) as { url: string }).url, process: child };
}
