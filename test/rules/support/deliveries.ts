import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Streams } from '#libs/contracts/src/index.js';
import { waitFor } from '#libs/testing/src/index.js';
import { WEBHOOK_TRIGGERS_CONSUMER } from '../../../apps/rules-engine/src/triggers/webhook-triggers.consumer.js';
import { payloadFor, post, signedDelivery } from '../../webhooks/support/deliveries.js';
import { WEBHOOK_SECRET, type EngineStack } from './engine-stack.js';

/**
 * A real GitHub payload of `event` (see test/webhooks/fixtures/SOURCES.md) about one of the
 * simulator's repositories, from the installation the workspace connected.
 */
export function githubEvent(
  s: EngineStack,
  event: string,
  action: string | undefined,
  repo: string,
): Record<string, any> {
  const payload = payloadFor(s.sims.github.installationId, event, action);
  const owner = s.sims.github.org.login;
  payload.repository = {
    ...payload.repository,
    name: repo,
    full_name: `${owner}/${repo}`,
    owner: { ...payload.repository.owner, login: owner },
  };
  return payload;
}

/** Delivers `payload` to the gateway signed as GitHub signs it; the delivery id once stored. */
export async function deliver(
  s: EngineStack,
  event: string,
  payload: Record<string, unknown>,
): Promise<string> {
  const delivery = await signedDelivery(WEBHOOK_SECRET, event, payload);
  const answer = await post(s.stack.gateway.url, delivery);
  if (answer.status !== 202 || answer.body.status !== 'accepted') {
    throw new Error(`delivery not accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return delivery.deliveryId;
}

/**
 * Waits until the engine has finished every delivery it was given: its consumer has none left to
 * take or to acknowledge, and it acknowledges one only once every rule it starts has run.
 */
export async function untilDeliveriesHandled(s: EngineStack): Promise<void> {
  const { NATS_USER, NATS_PASSWORD } = s.stack.nats.credentials('admin');
  const nc = await connect({ servers: s.stack.nats.url, user: NATS_USER, pass: NATS_PASSWORD });
  try {
    const jsm = await jetstreamManager(nc);
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(
          Streams.githubWebhooks.name,
          WEBHOOK_TRIGGERS_CONSUMER,
        );
        return info.num_pending + info.num_ack_pending === 0 ? true : undefined;
      },
      { what: 'the engine to finish every delivery' },
    );
  } finally {
    await nc.close();
  }
}
