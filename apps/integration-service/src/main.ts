import { runServiceMain } from '#libs/service-kit/src/index.js';
import { integrationService } from './service.js';

await runServiceMain(integrationService);
