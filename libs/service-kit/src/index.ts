export * from './tokens.js';
export * from './readiness-check.js';
export * from './infrastructure.module.js';
export * from './start-service.js';
export * from './startup-error.js';
