export * from './envelope.js';
export * from './reply.js';
export * from './health.js';
export * from './subjects.js';
export * from './streams.js';
export * from './providers/index.js';
export * from './integrations.js';
export * from './rules.js';
