import type { Enforcement, RuleDefinition, RuleKind, RuleView } from '#libs/contracts/src/index.js';

export interface RuleState {
  id: string;
  workspaceId: string | null;
  exists: boolean;
  deleted: boolean;
  name: string;
  kind: RuleKind;
  enforcement: Enforcement | null;
  definition: RuleDefinition | null;
  providers: string[];
  enabled: boolean;
  disabledReason: string | null;
  disabledByEventId: string | null;
  disabledByIntegrationId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function initialRule(id: string): RuleState {
  return {
    id,
    workspaceId: null,
    exists: false,
    deleted: false,
    name: '',
    kind: 'rule',
    enforcement: null,
    definition: null,
    providers: [],
    enabled: false,
    disabledReason: null,
    disabledByEventId: null,
    disabledByIntegrationId: null,
    createdAt: '',
    updatedAt: '',
    version: 0,
  };
}

export function toRuleView(state: RuleState): RuleView {
  return {
    id: state.id,
    workspaceId: state.workspaceId ?? '',
    name: state.name,
    kind: state.kind,
    enforcement: state.enforcement,
    definition: state.definition!,
    providers: state.providers,
    enabled: state.enabled,
    disabledReason: state.disabledReason,
    disabledByEventId: state.disabledByEventId,
    disabledByIntegrationId: state.disabledByIntegrationId,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}
