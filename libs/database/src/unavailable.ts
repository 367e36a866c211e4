/**
 * SQLSTATE classes and codes that say the server cannot serve now rather than that the statement
 * is wrong: 08 connection exception, 53 insufficient resources (too many connections, out of
 * memory), 57P01..57P03 shutting down or starting up (PostgreSQL's errcodes appendix).
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03']);

/**
 * What node-postgres and pg-pool throw when no connection or answer came in time, or it was cut
 * (a client whose connection broke refuses every later query as "not queryable").
 */
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'encountered a connection error and is not queryable',
];

/** Socket errors of a connection the server or the network cut. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/**
 * True when `error` means the database could not take the work now (every pooled connection
 * busy past the pool's connect timeout, a query that got no answer in time, a lost connection, a
 * server going down): a caller answers "retry later" (503 with Retry-After) instead of a 500,
 * which would say the request itself is at fault. TypeORM wraps query errors (QueryFailedError,
 * `driverError`); pool errors come raw.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string') {
      const sqlState = code.length === 5 && !code.startsWith('E');
      if (
        sqlState &&
        (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2)))
      )
        return true;
      if (UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) {
      return true;
    }
    e = driverError ?? cause;
  }
  return false;
}
