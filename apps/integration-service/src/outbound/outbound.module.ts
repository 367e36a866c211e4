import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '#libs/service-kit/src/index.js';
import type { IntegrationServiceConfig } from '../config.js';
import { OutboundGuard } from './outbound-guard.js';
import { OUTBOUND_GUARD } from './url-fields.js';

/** The operator's policy for URLs users supply, for the handlers that save them and the calls. */
@Module({
  providers: [
    {
      provide: OUTBOUND_GUARD,
      inject: [SERVICE_CONFIG],
      useFactory: (config: IntegrationServiceConfig) =>
        new OutboundGuard({
          allowHttp: config.PROVIDER_URL_ALLOW_HTTP,
          allowPrivateAddresses: config.PROVIDER_URL_ALLOW_PRIVATE_ADDRESSES,
        }),
    },
  ],
  exports: [OUTBOUND_GUARD],
})
export class OutboundModule {}
