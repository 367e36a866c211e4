/** A member's role in a workspace, strongest first. */
export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['org.integration.read', 'org.integration.edit'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Permissions follow from the role (the Snyk REST API): owner and admin edit; everyone reads. */
const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ['org.integration.read', 'org.integration.edit'],
  admin: ['org.integration.read', 'org.integration.edit'],
  member: ['org.integration.read'],
  viewer: ['org.integration.read'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling, as the token says: attached to every authenticated request. */
export interface AuthContext {
  workspaceId: string;
  memberId: string;
  role: Role;
  permissions: readonly Permission[];
  tokenId: string;
}
