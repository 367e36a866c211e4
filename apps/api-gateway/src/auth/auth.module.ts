import { Global, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#libs/service-kit/src/index.js';
import { AuthInvalidation } from './auth-invalidation.js';
import { TokenAuthGuard } from './token-auth.guard.js';
import { TokenCache } from './token-cache.js';
import { WorkspaceStore } from './workspace-store.js';

/** Global so any feature module's controllers can use `@Authenticated()` / `@RequireRole()`. */
@Global()
@Module({
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
  exports: [WorkspaceStore, TokenCache, AuthInvalidation, TokenAuthGuard],
})
export class AuthModule {}
