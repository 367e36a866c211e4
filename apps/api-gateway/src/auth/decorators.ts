import {
  applyDecorators,
  createParamDecorator,
  SetMetadata,
  UseGuards,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthContext, Permission, Role } from './roles.js';
import { REQUIRED_PERMISSIONS, REQUIRED_ROLES } from './metadata.js';
import { TokenAuthGuard } from './token-auth.guard.js';

/** Every route of the class or method needs a valid API key (401 otherwise). */
export const Authenticated = () =>
  applyDecorators(UseGuards(TokenAuthGuard), ApiSecurity('token'), ApiBearerAuth('bearer'));

/** The caller's role must be one of these (403 naming them otherwise). Implies Authenticated. */
export const RequireRole = (...roles: Role[]) =>
  applyDecorators(SetMetadata(REQUIRED_ROLES, roles), Authenticated());

/** The caller's role must grant every one of these permissions (403 otherwise). */
export const RequirePermission = (...permissions: Permission[]) =>
  applyDecorators(SetMetadata(REQUIRED_PERMISSIONS, permissions), Authenticated());

/** The authenticated caller: `@Auth() auth: AuthContext`. */
export const Auth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext =>
  authOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

export function authOf(request: FastifyRequest): AuthContext {
  const auth = (request as FastifyRequest & { auth?: AuthContext }).auth;
  if (!auth) throw new Error('authOf() on a route without @Authenticated()');
  return auth;
}
