export * from './catalog.js';
export * from './provider-calls.js';
