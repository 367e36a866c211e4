export * from './nats-connection.js';
export * from './bus.js';
export * from './streams.js';
export * from './dead-letters.js';
