import { port } from '#libs/config/src/index.js';
import { scanEnv } from './scans/scan.config.js';

/** The scanner's environment, beside the variables every service reads. */
export const scannerServiceEnv = { PORT: port(3002), ...scanEnv };
