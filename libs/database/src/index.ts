export * from './data-source.js';
export * from './unavailable.js';
export * from './held-client.js';
export * from './preparing-client.js';
export * from './pg-pool.js';
