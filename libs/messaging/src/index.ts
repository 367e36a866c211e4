export * from './nats-connection.js';
export * from './nest-wire.js';
export * from './bus-client.js';
export * from './bus.js';
export * from './streams.js';
export * from './dead-letters.js';
export * from './bus-users.js';
export * from './pull-options.js';
