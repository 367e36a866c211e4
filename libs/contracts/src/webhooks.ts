import type { Envelope } from './envelope.js';
import { GithubSubjects } from './subjects.js';

/**
 * GitHub webhook deliveries on the bus. The gateway verifies a delivery's signature and publishes
 * it once to stream GITHUB_WEBHOOKS on `github.webhook.<event>`, with `Nats-Msg-Id` set to the
 * `X-GitHub-Delivery` id so that GitHub's redeliveries are absorbed by JetStream.
 */
export const GITHUB_WEBHOOK_RECEIVED = 'GithubWebhookReceived';

/** GitHub event names are lower-case words joined by `_`: safe as one subject token. */
export const GITHUB_EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export interface GithubWebhookDelivery {
  /** `X-GitHub-Delivery`: one id per delivery, kept across GitHub's redeliveries. */
  deliveryId: string;
  /** `X-GitHub-Event`, e.g. `repository`. */
  event: string;
  /** `payload.action`, when the event has one. */
  action: string | null;
  installationId: number | null;
  /** The workspace's GitHub integration that connected the installation (set by the gateway). */
  integrationId: string | null;
  /** `X-GitHub-Hook-ID`, when sent. */
  hookId: string | null;
  receivedAt: string;
  /**
   * The JSON body as GitHub sent it; when it does not fit in one bus message, only the parts that
   * processing reads are kept and `slimmed` says so.
   */
  payload: Record<string, unknown>;
  slimmed?: boolean;
}

export type GithubWebhookEnvelope = Envelope<typeof GITHUB_WEBHOOK_RECEIVED, GithubWebhookDelivery>;

export function githubWebhookSubject(event: string): string {
  if (!GITHUB_EVENT_NAME.test(event)) throw new Error(`not a GitHub event name: ${event}`);
  return `${GithubSubjects.webhooks}.${event}`;
}

/** The scanner's durable consumer of GITHUB_WEBHOOKS (shared by its replicas). */
export const GITHUB_WEBHOOK_CONSUMER = 'scanner-github-webhooks';

/** What processing did with a delivery; counted per event type. */
export type GithubWebhookOutcome =
  | 'applied'
  | 'stale'
  | 'duplicate'
  | 'ignored'
  | 'disconnected'
  /** An uninstall or suspension GitHub does not confirm: nothing was disconnected. */
  | 'unconfirmed'
  | 'recomputed'
  | 'no_workspace';
