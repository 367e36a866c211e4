export * from './server.js';
export * from './org.js';
export { generateAppKeys } from './auth.js';
export { rulesetsOf, rulesetTargetsBranch } from './rulesets.js';
