import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import { RateLimits } from '../limits/rate-limits.js';
import type { AuthContext, Permission, Role } from './roles.js';
import { TokenCache } from './token-cache.js';
import { hashTokenSecret, isWellFormedToken, parseAuthorization } from './token-secret.js';
import { WorkspaceStore } from './workspace-store.js';
import { REQUIRED_PERMISSIONS, REQUIRED_ROLES } from './metadata.js';

/**
 * Reads `Authorization: Token <key>` (or `Bearer <key>`), finds the member it belongs to (cache
 * first, then Postgres), attaches `request.auth`, then checks the roles and permissions the
 * route asks for. 401 for a missing, malformed, unknown or revoked key; 403 naming the role needed;
 * 429 past the key's rate limit, or (before any lookup) past the address's failed authentications.
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(WorkspaceStore) private readonly store: WorkspaceStore,
    @Inject(TokenCache) private readonly cache: TokenCache,
    @Inject(RateLimits) private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { auth?: AuthContext }>();
    const auth = await this.authenticate(request, http.getResponse<FastifyReply>());
    request.auth = auth;
    const targets = [context.getHandler(), context.getClass()];
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(auth.role)) {
      throw new ApiError(
        'forbidden',
        'forbidden',
        `this requires the ${roles.join(' or ')} role; your role is ${auth.role}`,
        { requiredRoles: roles, role: auth.role },
      );
    }
    const permissions = this.reflector.getAllAndOverride<Permission[] | undefined>(
      REQUIRED_PERMISSIONS,
      targets,
    );
    const missing = permissions?.filter((p) => !auth.permissions.includes(p)) ?? [];
    if (missing.length > 0) {
      throw new ApiError(
        'forbidden',
        'forbidden',
        `this requires the ${missing.join(', ')} permission, which the ${auth.role} role lacks`,
        { requiredPermissions: missing, role: auth.role },
      );
    }
    return true;
  }

  /** The caller of `request`, counted against its key's limit; failures count against its address. */
  async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<AuthContext> {
    let auth: AuthContext;
    try {
      auth = await this.identify(request, reply);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'unauthorized') {
        this.limits.countFailure(request);
      }
      throw error;
    }
    this.limits.takeKey(reply, auth);
    return auth;
  }

  private async identify(request: FastifyRequest, reply: FastifyReply): Promise<AuthContext> {
    const header = request.headers.authorization;
    if (!header) {
      throw new ApiError(
        'unauthorized',
        'unauthorized',
        'missing Authorization header: send `Authorization: Token <key>`',
      );
    }
    const secret = parseAuthorization(header);
    if (!secret || !isWellFormedToken(secret)) {
      throw new ApiError(
        'unauthorized',
        'unauthorized',
        'malformed Authorization header: expected `Token <key>` or `Bearer <key>`',
      );
    }
    const { hash, key, cached } = this.lookUp(secret);
    let auth = cached;
    if (auth === undefined) {
      this.limits.refuseAfterFailures(request, reply);
      auth = (await this.store.authenticate(hash)) ?? null;
      this.cache.set(key, auth);
    }
    if (!auth) throw new ApiError('unauthorized', 'unauthorized', 'unknown or revoked API key');
    return auth;
  }

  /**
   * The member behind a well-formed key this replica knows right now, without waiting on
   * anything; undefined for anything else (`authenticate` then gives the answer or the error).
   */
  knownMember(header: string | undefined): AuthContext | undefined {
    const secret = parseAuthorization(header);
    if (!secret || !isWellFormedToken(secret)) return undefined;
    return this.lookUp(secret).cached ?? undefined;
  }

  /** A key's stored hash, its cache key, and what the cache holds for it. */
  private lookUp(secret: string) {
    const hash = hashTokenSecret(secret);
    const key = hash.toString('base64');
    return { hash, key, cached: this.cache.get(key) };
  }
}
