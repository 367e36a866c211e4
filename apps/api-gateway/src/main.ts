import { runServiceMain } from '#libs/service-kit/src/index.js';
import { apiGateway } from './service.js';

await runServiceMain(apiGateway);
