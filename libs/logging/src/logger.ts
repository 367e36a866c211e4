import { pino, type Logger } from 'pino';
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
    mixin() {
      const context = currentCorrelation();
      return context ? { correlationId: context.correlationId } : {};
    },
  });
}
