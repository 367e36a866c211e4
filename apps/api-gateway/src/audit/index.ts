/**
 * The audit trail: `gateway.audit_log`, projected from INTEGRATION_EVENTS, WORKSPACE_EVENTS and
 * SCANNER_EVENTS (`AuditProjection`), expired by `AuditRetention`, read by `AuditLogReader`
 * (`GET /api/audit-log`, `GET /api/integrations/:id/history`, `GET /api/rules/:id/history`).
 */
export * from './audit-entry.js';
export * from './audit-query.js';
export * from './audit-log.reader.js';
export * from './audit.projection.js';
export * from './audit-retention.js';
export * from './audit.config.js';
export * from './audit.migration.js';
export * from './audit.module.js';
