import type { RuleEvent } from '#libs/contracts/src/index.js';
import type { Recorded } from '#libs/event-store/src/index.js';
import type { RuleState } from './rule.state.js';

/** Applies one rule event. Pure. */
export function evolveRule(state: RuleState, event: Recorded<RuleEvent>): RuleState {
  const next: RuleState = { ...state, version: event.streamVersion };
  switch (event.type) {
    case 'RuleCreated': {
      const d = event.data;
      return {
        ...next,
        workspaceId: event.metadata.workspaceId,
        exists: true,
        name: d.name,
        kind: d.kind,
        enforcement: d.enforcement,
        definition: d.definition,
        providers: [...d.providers],
        enabled: d.enabled,
        disabledReason: d.disabledReason,
        disabledByEventId: d.enabled ? null : event.id,
        disabledByIntegrationId: null,
        createdAt: d.createdAt,
        updatedAt: d.createdAt,
      };
    }
    case 'RuleEnabled': {
      const d = event.data;
      return {
        ...next,
        enabled: true,
        disabledReason: null,
        disabledByEventId: null,
        disabledByIntegrationId: null,
        updatedAt: d.enabledAt,
      };
    }
    case 'RuleDisabled': {
      const d = event.data;
      return {
        ...next,
        enabled: false,
        disabledReason: d.message,
        // The event that caused the disablement (the disconnect), or this one when done by hand.
        disabledByEventId: d.causeEventId ?? event.id,
        disabledByIntegrationId: d.integrationId,
        updatedAt: d.disabledAt,
      };
    }
    case 'RuleDeleted': {
      const d = event.data;
      return { ...next, deleted: true, enabled: false, updatedAt: d.deletedAt };
    }
    default:
      // A type this version does not know (written by a newer one): only the version moves.
      return next;
  }
}
