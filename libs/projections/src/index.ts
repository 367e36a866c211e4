export * from './projection.js';
export * from './projection-runner.js';
export * from './projections.js';
