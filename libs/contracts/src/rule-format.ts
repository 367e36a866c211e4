/**
 * The two shapes a rule may be written in. Today's canonical shape has `trigger.event`,
 * `conditions[]` and `actions[]`; users of the TinyOps rules engine write `trigger.type`
 * (`schedule` with `cron`, `webhook` with `source` and `event`, `poll` with `interval`), a
 * singular `condition` and a singular `action`, and Slack messages under `message`. Both are
 * stored in the canonical shape: `canonicalRule` rewrites the second into the first and leaves
 * anything it does not recognise for validation to name.
 */

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack actions whose text TinyOps calls `message`. */
const MESSAGE_ACTIONS = new Set(['send_message', 'send_dm']);

export function canonicalRule(input: unknown): unknown {
  if (!isObject(input)) return input;
  const out: Obj = { ...input };
  if (isObject(out.trigger) && typeof out.trigger.type === 'string') {
    out.trigger = canonicalTrigger(out.trigger);
  }
  if ('condition' in out && !('conditions' in out)) {
    const { condition, ...rest } = out;
    Object.assign(rest, {
      conditions: condition === undefined || condition === null ? [] : [condition],
    });
    return canonicalRule(rest);
  }
  if ('action' in out && !('actions' in out)) {
    const { action, ...rest } = out;
    Object.assign(rest, { actions: action === undefined || action === null ? [] : [action] });
    return canonicalRule(rest);
  }
  if (!('conditions' in out) && !('condition' in out)) out.conditions = [];
  if (!('actions' in out) && !('action' in out) && out.kind === 'policy') out.actions = [];
  if (Array.isArray(out.actions)) out.actions = out.actions.map(canonicalAction);
  return out;
}

function canonicalTrigger(trigger: Obj): unknown {
  const { type, ...rest } = trigger;
  switch (type) {
    case 'schedule': {
      const { cron, ...others } = rest;
      return { event: 'schedule', ...(cron === undefined ? {} : { schedule: cron }), ...others };
    }
    case 'poll':
      return { event: 'poll', ...rest };
    case 'webhook': {
      const { source, event, ...others } = rest;
      // Only GitHub sends webhooks here; another source is named by validation.
      if (source !== undefined && source !== 'github') return trigger;
      return { event, ...others };
    }
    default:
      return trigger;
  }
}

function canonicalAction(action: unknown): unknown {
  if (!isObject(action) || !isObject(action.params)) return action;
  if (action.provider !== 'slack' || !MESSAGE_ACTIONS.has(String(action.method))) return action;
  const { message, ...params } = action.params;
  if (message === undefined || 'text' in params) return action;
  return { ...action, params: { ...params, text: message } };
}
