import { connect } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Streams } from '#libs/contracts/src/index.js';
import {
  BusClient,
  busCredentials,
  discardDeadLetter,
  ensureStreams,
  listDeadLetters,
  natsServers,
  replayDeadLetter,
} from '#libs/messaging/src/index.js';
import { UsageError, type AdminCommand } from './command.js';
import { DEFAULT_NATS_URL } from '../stack/paths.js';

async function withJetStream<T>(
  env: NodeJS.ProcessEnv,
  fn: (bus: BusClient, jsm: JetStreamManager) => Promise<T>,
): Promise<T> {
  const nc = await connect({
    servers: natsServers(env.NATS_URL || DEFAULT_NATS_URL),
    name: 'admin-cli',
    timeout: 3_000,
    // The bus's `admin` user where the bus has users (NATS_USER / NATS_PASSWORD).
    ...busCredentials(env),
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, [Streams.deadLetters]);
    return await fn(new BusClient(nc), jsm);
  } finally {
    await nc.close();
  }
}

/**
 * `dead-letters list [--consumer <name>]`: what every consumer and projection parked, with its
 * last error; `dead-letters replay <seq | message id>` puts one back for the consumer that parked
 * it (only that one handles it again); `dead-letters discard <seq | message id>` drops it.
 */
export const deadLetters: AdminCommand = {
  name: 'dead-letters',
  usage:
    'dead-letters list [--consumer <name>] | replay <seq | message id> | discard <seq | message id>',
  async run(args, env) {
    const [action, ...rest] = args;
    switch (action) {
      case 'list': {
        let consumer: string | undefined;
        if (rest.length === 2 && rest[0] === '--consumer' && rest[1]) consumer = rest[1];
        else if (rest.length > 0) throw new UsageError('list takes only --consumer <name>');
        const deadLetters = await withJetStream(env, (_bus, jsm) =>
          listDeadLetters(jsm, { consumer }),
        );
        return { deadLetters };
      }
      case 'replay': {
        if (rest.length !== 1 || !rest[0]) throw new UsageError('expected one seq or message id');
        const replayed = await withJetStream(env, (bus, jsm) =>
          replayDeadLetter(bus, jsm, rest[0]!),
        );
        return { replayed };
      }
      case 'discard': {
        if (rest.length !== 1 || !rest[0]) throw new UsageError('expected one seq or message id');
        const discarded = await withJetStream(env, (_bus, jsm) => discardDeadLetter(jsm, rest[0]!));
        return { discarded };
      }
      default:
        throw new UsageError('expected list, replay or discard');
    }
  },
};
