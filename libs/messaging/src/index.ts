export * from './nats-connection.js';
export * from './bus.js';
