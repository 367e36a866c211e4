/** The key REST cursors are signed with (a Buffer), shared by every gateway replica. */
export const CURSOR_SECRET = Symbol('REST_CURSOR_SECRET');
