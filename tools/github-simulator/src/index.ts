export * from './server.js';
export * from './org.js';
export { generateAppKeys } from './auth.js';
