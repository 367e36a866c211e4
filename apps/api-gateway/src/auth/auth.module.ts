import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { LimitsModule } from '../limits/limits.module.js';
import { AuthInvalidation } from './auth-invalidation.js';
import { TokenAuthGuard } from './token-auth.guard.js';
import { TokenCache } from './token-cache.js';
import { WorkspaceStore } from './workspace-store.js';

/**
 * API keys and members. A feature module whose controllers use `@Authenticated()` /
 * `@RequireRole()` imports it; the guard counts failed attempts in the limits module's windows.
 */
@Module({
  imports: [LimitsModule],
  providers: [
    {
      provide: WorkspaceStore,
      inject: [DATA_SOURCE],
      useFactory: (dataSource: DataSource) => new WorkspaceStore(dataSource),
    },
    { provide: TokenCache, useFactory: () => new TokenCache() },
    AuthInvalidation,
    TokenAuthGuard,
  ],
  // The guard is made in each module that uses it, so what it needs goes with it.
  exports: [WorkspaceStore, TokenCache, AuthInvalidation, TokenAuthGuard, LimitsModule],
})
export class AuthModule {}
