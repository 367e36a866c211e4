/**
 * Subject names, `<domain>.<kind>.<name>`: `cmd` request/reply commands, `q` queries, `evt` events
 * (on JetStream), `job` work-queue items (on JetStream). Both ends import these; none is typed twice.
 */
export const IntegrationSubjects = {
  connect: 'integrations.cmd.connect',
  disconnect: 'integrations.cmd.disconnect',
  create: 'integrations.cmd.create',
  update: 'integrations.cmd.update',
  updateSettings: 'integrations.cmd.update-settings',
  delete: 'integrations.cmd.delete',
  get: 'integrations.q.get',
  list: 'integrations.q.list',
  history: 'integrations.q.history',
  health: 'integrations.q.health',
  /** The install flow proved this workspace's member can access a GitHub installation. */
  verifyGithubInstallation: 'integrations.cmd.verify-github-installation',
  /** `:provider/health`: calls the provider with the stored credentials. */
  checkHealth: 'integrations.q.check-health',
  /** Prefix of every integration event: `integrations.evt.<event-name>`. */
  events: 'integrations.evt',
} as const;

export const RuleSubjects = {
  create: 'rules.cmd.create',
  enable: 'rules.cmd.enable',
  disable: 'rules.cmd.disable',
  delete: 'rules.cmd.delete',
  get: 'rules.q.get',
  list: 'rules.q.list',
  history: 'rules.q.history',
  events: 'rules.evt',
} as const;

/** Provider calls made for the rules engine by the integration service (credentials stay there). */
export const ProviderSubjects = {
  check: 'providers.cmd.check',
  checkPulls: 'providers.cmd.check-pulls',
  act: 'providers.cmd.act',
} as const;

export const ScannerSubjects = {
  scanOrg: 'scanner.cmd.scan-org',
  invalidateCache: 'scanner.cmd.invalidate-cache',
  permissions: 'scanner.q.permissions',
  health: 'scanner.q.health',
  /** Work-queue items that scanner replicas share. */
  jobs: 'scanner.job',
  events: 'scanner.evt',
} as const;

export const GithubSubjects = {
  /** `github.webhook.<event>`: verified deliveries, one message per delivery. */
  webhooks: 'github.webhook',
} as const;

export const DeadLetterSubjects = {
  /** `dead-letters.<consumer>`: what that consumer parked (stream DEAD_LETTERS). */
  prefix: 'dead-letters',
} as const;

export const GatewaySubjects = {
  health: 'gateway.q.health',
  /** Core NATS between gateway replicas: forget these cached keys (`AuthInvalidated`). */
  authInvalidated: 'gateway.auth.invalidated',
  /** Core NATS from the leading projector to the other replicas (`ReadModelsChanged`). */
  readModelsChanged: 'gateway.read-models.changed',
} as const;

/** Workspaces, members and API keys: events of the gateway's own log. */
export const WorkspaceSubjects = {
  events: 'workspace.evt',
} as const;

/** `integrations.evt` + `IntegrationConnected` -> `integrations.evt.integration-connected`. */
export function eventSubject(prefix: string, eventType: string): string {
  return `${prefix}.${eventType.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}
