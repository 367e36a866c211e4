import { Module } from '@nestjs/common';
import { DeliveryAdmission } from './delivery-admission.js';
import { DeliveryPublisher } from './delivery-publisher.js';
import { InstallationDirectory } from './installation-directory.js';
import { IntakeCounters } from './intake-counters.js';
import { ReplayGuard } from './replay-guard.js';
import { WebhookIntakeRoute } from './webhook-intake.route.js';

/** GitHub webhook intake: verify, map the installation to its workspace, store on the bus. */
@Module({
  providers: [
    InstallationDirectory,
    IntakeCounters,
    DeliveryPublisher,
    ReplayGuard,
    DeliveryAdmission,
    WebhookIntakeRoute,
  ],
  exports: [InstallationDirectory, IntakeCounters],
})
export class WebhooksModule {}
