export * from './trace-context.js';
export * from './tracing-state.js';
export * from './http-metrics.js';
export * from './http-tracing.js';
export * from './metrics/registry.js';
export * from './metrics/jetstream.js';
export * from './metrics/readiness.js';
export * from './metrics/projections.js';
