export * from './scans.module.js';
export * from './scans.migration.js';
export * from './findings.migration.js';
