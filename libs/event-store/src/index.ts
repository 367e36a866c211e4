export * from './types.js';
export * from './schema.js';
export * from './upcasting.js';
export * from './event-store.js';
export * from './publisher.js';
export * from './jetstream-sink.js';
