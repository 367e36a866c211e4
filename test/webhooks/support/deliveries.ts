import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhooks } from '@octokit/webhooks';
import { waitFor } from '#libs/testing/src/index.js';

/**
 * Signed GitHub deliveries built from REAL payloads (see ../fixtures/SOURCES.md): the examples of
 * `@octokit/webhooks-examples`, plus the fixtures beside this folder for what it lacks.
 */
type Payload = Record<string, any>;
interface Definition {
  name: string;
  examples: Payload[];
}

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const SETS = ['api.github.com', 'ghes-35', 'ghes-34'];
const definitions = new Map<string, Definition[]>(
  SETS.map((set) => [set, require(`@octokit/webhooks-examples/${set}/index.json`) as Definition[]]),
);
const FILES: Record<string, string> = {
  'repository_ruleset.created': 'repository_ruleset.created.payload.json',
};

/** A deep copy of the first real example of `event` (with `action`, when given). */
export function realPayload(event: string, action?: string): Payload {
  const key = `${event}.${action}`;
  if (FILES[key]) return JSON.parse(readFileSync(join(here, '..', 'fixtures', FILES[key]), 'utf8'));
  if (event === 'repository' && (action === 'archived' || action === 'unarchived')) {
    const base = realPayload('repository', 'publicized');
    base.action = action;
    base.repository.archived = action === 'archived';
    return base;
  }
  for (const set of SETS) {
    const definition = definitions.get(set)!.find((d) => d.name === event);
    const example = definition?.examples.find((e) => action === undefined || e.action === action);
    if (example) return structuredClone(example);
  }
  throw new Error(`no real example of ${event}${action ? `.${action}` : ''}`);
}

/** A real payload addressed to `installationId`. */
export function payloadFor(installationId: number, event: string, action?: string): Payload {
  const payload = realPayload(event, action);
  payload.installation = { ...(payload.installation ?? {}), id: installationId };
  return payload;
}

export interface SignedDelivery {
  event: string;
  deliveryId: string;
  body: string;
  headers: Record<string, string>;
}

export async function signedDelivery(
  secret: string,
  event: string,
  payload: Payload | string,
  deliveryId: string = randomUUID(),
): Promise<SignedDelivery> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = await new Webhooks({ secret }).sign(body);
  return {
    event,
    deliveryId,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'x-hub-signature-256': signature,
    },
  };
}

export async function post(
  baseUrl: string,
  delivery: Pick<SignedDelivery, 'body' | 'headers'>,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${baseUrl}/api/webhooks/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/**
 * Waits until the gateway at `baseUrl` accepts a signed ping for `installationId`: it learns
 * which workspace connected an installation from the bus, some time after the connect.
 */
export async function untilInstallationMapped(
  baseUrl: string,
  secret: string,
  installationId: number,
): Promise<void> {
  await waitFor(
    async () => {
      // Each ping its own (GitHub's carry a random zen): a body seen before is a replay.
      const ping = payloadFor(installationId, 'ping');
      ping.zen = `${ping.zen} ${randomUUID()}`;
      const d = await signedDelivery(secret, 'ping', ping);
      return (await post(baseUrl, d)).body.status === 'accepted' ? true : undefined;
    },
    { what: `the gateway to map installation ${installationId}` },
  );
}
