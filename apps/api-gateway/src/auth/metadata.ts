/** Route metadata keys the guard reads; set by `RequireRole` / `RequirePermission`. */
export const REQUIRED_ROLES = 'auth:required-roles';
export const REQUIRED_PERMISSIONS = 'auth:required-permissions';
