import { runServiceMain } from '#libs/service-kit/src/index.js';
import { rulesEngine } from './service.js';

await runServiceMain(rulesEngine);
