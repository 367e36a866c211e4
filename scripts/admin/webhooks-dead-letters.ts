import { connect } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Streams } from '#libs/contracts/src/index.js';
import { ensureStreams } from '#libs/messaging/src/index.js';
import {
  listDeadLetters,
  replayDeadLetter,
} from '../../apps/scanner-service/src/webhooks/index.js';
import { UsageError, type AdminCommand } from './command.js';
import { DEFAULT_NATS_URL } from '../stack/paths.js';

async function withJetStream<T>(
  env: NodeJS.ProcessEnv,
  fn: (js: JetStreamClient, jsm: JetStreamManager) => Promise<T>,
): Promise<T> {
  const nc = await connect({
    servers: env.NATS_URL || DEFAULT_NATS_URL,
    name: 'admin-cli',
    timeout: 3_000,
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [Streams.githubWebhooks, Streams.githubWebhookDeadLetters]);
    return await fn(jetstream(nc), jsm);
  } finally {
    await nc.close();
  }
}

/** `webhooks:dead-letters`: GitHub deliveries that kept failing, with their last error. */
export const webhooksDeadLetters: AdminCommand = {
  name: 'webhooks:dead-letters',
  usage: 'webhooks:dead-letters',
  async run(args, env) {
    if (args.length > 0) throw new UsageError('takes no arguments');
    const deadLetters = await withJetStream(env, (_js, jsm) => listDeadLetters(jsm));
    return { deadLetters };
  },
};

/** `webhooks:replay <deliveryId|seq>`: puts a parked delivery back for processing. */
export const webhooksReplay: AdminCommand = {
  name: 'webhooks:replay',
  usage: 'webhooks:replay <deliveryId | dead-letter seq>',
  async run(args, env) {
    if (args.length !== 1 || !args[0]) throw new UsageError('expected one delivery id or sequence');
    const replayed = await withJetStream(env, (js, jsm) => replayDeadLetter(js, jsm, args[0]!));
    return { replayed };
  },
};
