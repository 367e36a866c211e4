/** Injection tokens for what `startService` builds before Nest starts. */
export const LOGGER = Symbol('LOGGER');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const BUS = Symbol('BUS');
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
