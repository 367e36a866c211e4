export * from './nats-server.js';
export * from './postgres.js';
export * from './wait-for.js';
export * from './otlp-receiver.js';
export * from './postgres-cluster.js';
