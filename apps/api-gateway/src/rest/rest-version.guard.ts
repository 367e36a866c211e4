import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiError } from './jsonapi.js';
import { resolveVersion, versionHeaders, type ResolvedVersion } from './version-resolution.js';

export type VersionedRequest = FastifyRequest & { restVersion?: ResolvedVersion };

/**
 * Resolves `version` before anything else about the request is looked at, and stamps the
 * resolved version (and any deprecation or sunset) on the response, errors included.
 */
@Injectable()
export class RestVersionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<VersionedRequest>();
    const reply = http.getResponse<FastifyReply>();
    const raw = (request.query as Record<string, unknown> | undefined)?.version;
    const resolution = resolveVersion(raw);
    if (!resolution.ok) {
      const { status, code, detail } = resolution.problem;
      throw JsonApiError.of(status, code, detail, { parameter: 'version' });
    }
    for (const [name, value] of Object.entries(versionHeaders(resolution.resolved))) {
      void reply.header(name, value);
    }
    request.restVersion = resolution.resolved;
    return true;
  }
}

export function versionOf(request: FastifyRequest): ResolvedVersion {
  const version = (request as VersionedRequest).restVersion;
  if (!version) throw new Error('versionOf() on a route without RestVersionGuard');
  return version;
}
