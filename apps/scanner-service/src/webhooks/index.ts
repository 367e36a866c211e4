export { WebhookProcessingModule } from './webhook-processing.module.js';
export { WebhookProcessing1764100006000 } from './webhook-processing.migration.js';
export { WebhookCounters } from './webhook-counters.js';
export { WEBHOOK_INVENTORY, type WebhookInventory } from './webhook-inventory.js';
export { planDelivery, type Plan } from './plan.js';
