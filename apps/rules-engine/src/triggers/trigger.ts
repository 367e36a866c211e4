import { createHash } from 'node:crypto';
import type {
  GithubWebhookDelivery,
  ProviderTarget,
  RunTrigger,
} from '#libs/contracts/src/index.js';
import type { EngineRule } from '../rules/rule-catalog.js';

/** What started an evaluation, with the data templates and checks read from. */
export interface Trigger {
  workspaceId: string;
  /** The delivery id, or the due time of a schedule or poll: with the rule, it names the run. */
  key: string;
  run: RunTrigger;
  /** The event name rules match on, e.g. `pull_request.opened`, `schedule`. */
  event: string;
  /** The webhook payload (empty for schedules). */
  data: Record<string, unknown>;
  correlationId: string;
}

/** A run's id: a name-based UUID of the trigger and the rule, the same on every replica and retry. */
export function runIdFor(triggerKey: string, ruleId: string): string {
  const hex = createHash('sha256').update(`run:${triggerKey}:${ruleId}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function webhookTrigger(
  workspaceId: string,
  delivery: GithubWebhookDelivery,
  correlationId: string,
): Trigger {
  const event = delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event;
  return {
    workspaceId,
    key: `github:${delivery.deliveryId}`,
    run: { type: 'webhook', event, deliveryId: delivery.deliveryId },
    event,
    data: delivery.payload,
    correlationId,
  };
}

/** The login of a GitHub App's bot user, the `sender` of what the App does with its token. */
export function appBotLogin(appSlug: string): string {
  return `${appSlug}[bot]`;
}

/**
 * Whether a webhook payload's `sender` is `login` (GitHub logins are case-insensitive). Only the
 * login counts: no user login can contain `[bot]`, and other bots (`dependabot[bot]`) differ.
 */
export function sentBy(payload: Record<string, unknown>, login: string): boolean {
  const sender = payload.sender as { login?: unknown } | undefined;
  return typeof sender?.login === 'string' && sender.login.toLowerCase() === login.toLowerCase();
}

/** Pull request actions on which every enabled policy of the workspace posts its status. */
export const POLICY_PULL_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

/**
 * Whether `rule` starts on the trigger: a rule's `trigger.event` is the event (`push`) or the
 * event and action (`pull_request.opened`); a policy on pull requests runs whenever a pull request
 * is opened, synchronized or reopened. A rule that names repositories runs only for those.
 */
export function startsOn(rule: EngineRule, trigger: Trigger): boolean {
  const wanted = rule.definition.trigger.event;
  const [base, action] = trigger.event.split('.');
  let starts: boolean;
  if (rule.kind === 'policy' && wanted.startsWith('pull_request')) {
    starts = base === 'pull_request' && POLICY_PULL_ACTIONS.has(action ?? '');
  } else {
    starts = wanted === trigger.event || wanted === base;
  }
  if (!starts) return false;
  const repo = repoOf(trigger.data);
  const patterns = rule.definition.conditions.map((c) => c.repo).filter((r): r is string => !!r);
  return (
    patterns.length === 0 || (repo !== undefined && patterns.some((p) => globMatches(p, repo)))
  );
}

/** `acme/*` matches `acme/api`; `*` stands for any run of characters but `/`. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}$`, 'i').test(value);
}

export function repoOf(payload: Record<string, unknown>): string | undefined {
  const repository = payload.repository as { full_name?: unknown } | undefined;
  return typeof repository?.full_name === 'string' ? repository.full_name : undefined;
}

/** The repository, pull request (or issue) and commit a webhook payload is about. */
export function targetOf(payload: Record<string, unknown>): ProviderTarget {
  const pull = payload.pull_request as { number?: number; head?: { sha?: string } } | undefined;
  const issue = payload.issue as { number?: number } | undefined;
  const repo = repoOf(payload);
  const number = pull?.number ?? issue?.number ?? (payload.number as number | undefined);
  const ref = pull?.head?.sha ?? (typeof payload.after === 'string' ? payload.after : undefined);
  return {
    ...(repo ? { repo } : {}),
    ...(typeof number === 'number' ? { number } : {}),
    ...(ref ? { ref } : {}),
  };
}

/**
 * The one repository a rule's conditions name exactly (`owner/name`), or undefined when they
 * name none, a pattern (`acme/*`), or several: a schedule or poll has no payload to say which.
 */
export function ruleRepository(rule: Pick<EngineRule, 'definition'>): string | undefined {
  const named = rule.definition.conditions.map((c) => c.repo).filter((r): r is string => !!r);
  // GitHub names repositories case-insensitively.
  const distinct = new Set(named.map((r) => r.toLowerCase()));
  if (distinct.size !== 1 || named[0]!.includes('*')) return undefined;
  return named[0];
}

/**
 * Where a run reads and acts: what the trigger is about, and when the trigger names no
 * repository (a schedule or poll, whose data is empty), the rule's own.
 */
export function runTarget(rule: Pick<EngineRule, 'definition'>, trigger: Trigger): ProviderTarget {
  const target = targetOf(trigger.data);
  if (target.repo) return target;
  const repo = ruleRepository(rule);
  return repo ? { ...target, repo } : target;
}
