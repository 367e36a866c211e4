export * from './projection.js';
export * from './checkpoint-sql.js';
export * from './projection-runner.js';
export * from './projections.js';
export * from './leader-rows.js';
