import { runServiceMain } from '#libs/service-kit/src/index.js';
import { scannerService } from './service.js';

await runServiceMain(scannerService);
