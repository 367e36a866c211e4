import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { DeliveryProcessor } from './delivery-processor.js';
import { InstallationConfirmation } from './installation-confirmation.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import {
  WEBHOOK_PROCESSING_OPTIONS,
  WebhookConsumer,
  type WebhookProcessingOptions,
} from './webhook-consumer.js';
import { WebhookCounters } from './webhook-counters.js';
import { WEBHOOK_INVENTORY, type WebhookInventory } from './webhook-inventory.js';

/**
 * GitHub webhook processing in the scanner. `inventory` is the class that keeps the repository
 * inventory (the scanner's `InventoryService`); `imports` are the modules that provide it and
 * the `GithubApp` (the scans module does), which confirms uninstalls.
 */
@Module({})
export class WebhookProcessingModule {
  static forRoot(options: {
    /** Modules that provide `inventory` and the `GithubApp`. */
    imports: DynamicModule['imports'];
    inventory: Type<WebhookInventory> | symbol | string;
    retry?: Partial<RetryPolicy>;
    concurrency?: number;
  }): DynamicModule {
    const resolved: WebhookProcessingOptions = {
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      concurrency: options.concurrency ?? 4,
    };
    return {
      module: WebhookProcessingModule,
      imports: options.imports,
      providers: [
        { provide: WEBHOOK_PROCESSING_OPTIONS, useValue: resolved },
        { provide: WEBHOOK_INVENTORY, useExisting: options.inventory },
        InstallationConfirmation,
        DeliveryProcessor,
        WebhookCounters,
        WebhookConsumer,
      ],
      exports: [WebhookCounters],
    };
  }
}
