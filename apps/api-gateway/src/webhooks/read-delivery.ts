import { GITHUB_EVENT_NAME, type GithubWebhookDelivery } from '#libs/contracts/src/index.js';

export type IntakeRejection = {
  ok: false;
  status: 400 | 401;
  code: string;
  message: string;
};

type Headers = Record<string, string | string[] | undefined>;

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const reject = (status: 400 | 401, code: string, message: string): IntakeRejection => ({
  ok: false,
  status,
  code,
  message,
});

/**
 * Turns a delivery whose signature was already verified into what goes on the bus, or says why it
 * cannot be taken. No I/O: the route around it does the verifying and publishing.
 */
export function readDelivery(
  headers: Headers,
  rawBody: Buffer,
  receivedAt: Date,
): { ok: true; delivery: GithubWebhookDelivery } | IntakeRejection {
  const event = header(headers, 'x-github-event');
  const deliveryId = header(headers, 'x-github-delivery');
  if (!event || !GITHUB_EVENT_NAME.test(event)) {
    return reject(400, 'invalid_event', 'X-GitHub-Event is missing or not a GitHub event name');
  }
  if (!deliveryId || !DELIVERY_ID.test(deliveryId)) {
    return reject(400, 'invalid_delivery_id', 'X-GitHub-Delivery is missing or malformed');
  }
  const contentType = header(headers, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(contentType)) {
    // GitHub can also send application/x-www-form-urlencoded; the app's hook must be set to JSON.
    return reject(400, 'not_json', 'the delivery must be sent as application/json');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return reject(400, 'not_json', 'the body is not valid JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return reject(400, 'not_json', 'the body must be a JSON object');
  }
  const body = payload as Record<string, unknown>;
  const installation = body.installation as { id?: unknown } | undefined;
  const installationId =
    typeof installation?.id === 'number' && Number.isSafeInteger(installation.id)
      ? installation.id
      : null;
  return {
    ok: true,
    delivery: {
      deliveryId,
      event,
      action: typeof body.action === 'string' ? body.action : null,
      installationId,
      integrationId: null,
      hookId: header(headers, 'x-github-hook-id') ?? null,
      receivedAt: receivedAt.toISOString(),
      payload: body,
    },
  };
}

/** The parts of a payload that processing reads: what is kept when the whole does not fit. */
const KEPT_FIELDS = [
  'action',
  'installation',
  'repository',
  'organization',
  'sender',
  'changes',
  'repositories_added',
  'repositories_removed',
  'repository_selection',
  'member',
  'membership',
  'team',
  'rule',
  'repository_ruleset',
] as const;

export function slimPayload(payload: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of KEPT_FIELDS) if (field in payload) kept[field] = payload[field];
  return kept;
}
