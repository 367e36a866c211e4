export * from './scans.module.js';
export * from './scans.migration.js';
