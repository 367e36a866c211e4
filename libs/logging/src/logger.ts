import { pino, type Logger } from 'pino';
import { activeTraceIds } from '#libs/observability/src/trace-context.js';
import { currentCorrelation } from './correlation.js';

/**
 * Keys whose values never reach a log line. Credentials, tokens and keys may sit in payloads that
 * are logged while debugging; pino replaces them before serialising.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'credentials',
  'privateKey',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.credentials',
  '*.privateKey',
  '*.authorization',
  '*.*.credentials',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
];

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // The correlation id follows a request by its id; trace_id and span_id (when a trace is
    // recorded) find the same lines from a trace in the tracing backend.
    mixin() {
      const context = currentCorrelation();
      const ids = activeTraceIds();
      if (!context) return ids ?? {};
      return ids
        ? { correlationId: context.correlationId, ...ids }
        : { correlationId: context.correlationId };
    },
  });
}
