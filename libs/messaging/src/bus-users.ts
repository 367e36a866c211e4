import { randomBytes } from 'node:crypto';
import {
  DeadLetterSubjects,
  GatewaySubjects,
  GithubSubjects,
  IntegrationSubjects,
  ProviderSubjects,
  RuleSubjects,
  RulesEngineSubjects,
  ScannerSubjects,
  WorkspaceSubjects,
} from '#libs/contracts/src/index.js';

/** A domain's request/reply subjects: `<domain>.cmd.>` and `<domain>.q.>`. */
const commandsOf = (domain: string) => [`${domain}.cmd.>`, `${domain}.q.>`];
const domainOf = (subject: string) => subject.split('.')[0]!;

/**
 * What every service may publish besides its own subjects: the JetStream API (stream and
 * consumer management, pulls), acknowledgements and flow control of what it consumes, and
 * parking a message it cannot process. Replies to requests it received need no grant:
 * `allow_responses` lets a service answer exactly the requests it was sent.
 */
const EVERY_SERVICE = ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', `${DeadLetterSubjects.prefix}.>`];

/**
 * One NATS user per service, and what each may publish: its own events and work items, and the
 * commands and queries of the services it calls, nothing else (what a service publishes is what
 * it can make others do). What each may subscribe to is `BUS_SUBSCRIPTIONS`.
 */
export const BUS_USERS = {
  'api-gateway': [
    ...commandsOf(domainOf(IntegrationSubjects.connect)),
    ...commandsOf(domainOf(RuleSubjects.create)),
    ...commandsOf(domainOf(ScannerSubjects.scanOrg)),
    ...commandsOf(domainOf(RulesEngineSubjects.test)),
    `${GithubSubjects.webhooks}.>`,
    `${WorkspaceSubjects.events}.>`,
    // Its own core subjects between replicas (auth invalidation, read-model changes).
    `${domainOf(GatewaySubjects.health)}.>`,
  ],
  'integration-service': [`${IntegrationSubjects.events}.>`, `${RuleSubjects.events}.>`],
  'scanner-service': [
    `${ScannerSubjects.events}.>`,
    `${ScannerSubjects.jobs}.>`,
    // An uninstalled or suspended GitHub App disconnects the workspace's integration.
    IntegrationSubjects.disconnect,
  ],
  'rules-engine': [
    // Every provider call needs credentials, which only the integration service holds.
    `${domainOf(ProviderSubjects.check)}.cmd.>`,
    `${RulesEngineSubjects.jobs}.>`,
    // Its own core subject between replicas (a workspace's rules changed).
    RulesEngineSubjects.rulesChanged,
  ],
  // `npm run admin`: replays parked messages onto their original subjects.
  admin: ['>'],
} as const satisfies Record<string, readonly string[]>;

export type BusUser = keyof typeof BUS_USERS;

/**
 * What each service may subscribe to: the commands and queries it answers, its own core
 * subjects, and its own inbox (`inboxOf`), where its requests' replies and its JetStream
 * consumers' messages arrive. So a service cannot read another's commands, which may carry a
 * provider's credentials on their way to the integration service, nor the replies to another's
 * requests.
 */
export const BUS_SUBSCRIPTIONS = {
  'api-gateway': [`${domainOf(GatewaySubjects.health)}.>`],
  'integration-service': [
    ...commandsOf(domainOf(IntegrationSubjects.connect)),
    ...commandsOf(domainOf(RuleSubjects.create)),
    ...commandsOf(domainOf(ProviderSubjects.check)),
  ],
  'scanner-service': commandsOf(domainOf(ScannerSubjects.scanOrg)),
  'rules-engine': [
    ...commandsOf(domainOf(RulesEngineSubjects.test)),
    RulesEngineSubjects.rulesChanged,
  ],
  admin: ['>'],
} as const satisfies Record<BusUser, readonly string[]>;

/** A bus user's inbox prefix: replies to its requests and its consumers' deliveries. */
export const inboxOf = (user: string) => `_INBOX.${user}`;

export const BUS_USER_NAMES = Object.keys(BUS_USERS) as BusUser[];

/** The environment variable that holds a bus user's password in the server's config. */
export const passwordVariable = (user: BusUser) =>
  `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

/** A fresh random password for each bus user. */
export function generateBusPasswords(): Record<BusUser, string> {
  return Object.fromEntries(
    BUS_USER_NAMES.map((user) => [user, randomBytes(24).toString('base64url')]),
  ) as Record<BusUser, string>;
}

/**
 * The `authorization` block of a nats-server config with every bus user. `password` gives each
 * user's password as it is written into the file: the password itself (a file that must stay
 * private), or `$VARIABLE`, which nats-server reads from its environment (docker-compose).
 */
export function natsAuthorization(password: (user: BusUser) => string): string {
  const users = BUS_USER_NAMES.map((user) => {
    const publish = [...(user === 'admin' ? [] : EVERY_SERVICE), ...BUS_USERS[user]];
    const subscribe = [
      ...BUS_SUBSCRIPTIONS[user],
      ...(user === 'admin' ? [] : [`${inboxOf(user)}.>`]),
    ];
    return [
      `    {`,
      `      user: "${user}"`,
      `      password: ${password(user)}`,
      `      permissions: {`,
      `        publish: { allow: [${publish.map((s) => `"${s}"`).join(', ')}] }`,
      `        subscribe: { allow: [${subscribe.map((s) => `"${s}"`).join(', ')}] }`,
      `        allow_responses: true`,
      `      }`,
      `    }`,
    ].join('\n');
  });
  return `authorization {\n  users: [\n${users.join('\n')}\n  ]\n}\n`;
}

/** The bus credentials a service reads (`NATS_USER`, `NATS_PASSWORD`), and its inbox. */
export interface BusCredentials {
  user: string;
  pass: string;
  inboxPrefix: string;
}

/**
 * `NATS_USER` and `NATS_PASSWORD` as connection options, with the user's own inbox prefix (the
 * only inbox it may subscribe to); none when unset (a bus without auth).
 */
export function busCredentials(config: {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
}): Partial<BusCredentials> {
  return config.NATS_USER
    ? {
        user: config.NATS_USER,
        pass: config.NATS_PASSWORD ?? '',
        inboxPrefix: inboxOf(config.NATS_USER),
      }
    : {};
}

/**
 * A whole nats-server config: JetStream with its store, the listen address, the monitoring port
 * if any, and every bus user (`natsAuthorization`).
 */
export function natsServerConfig(options: {
  listen: string;
  storeDir: string;
  httpPort?: number;
  password: (user: BusUser) => string;
}): string {
  return [
    `listen: "${options.listen}"`,
    ...(options.httpPort === undefined ? [] : [`http_port: ${options.httpPort}`]),
    `jetstream { store_dir: "${options.storeDir}" }`,
    natsAuthorization(options.password),
  ].join('\n');
}
