import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  Auth,
  AuthInvalidation,
  RequireRole,
  ROLES,
  WorkspaceStore,
  type AuthContext,
  type ChangeContext,
  type Role,
} from '../auth/index.js';
import { ApiError } from '../errors/api-error.js';
import { validate } from '../http/validate.js';
import { IdempotentRequests, type IdempotentAnswer } from '../http/idempotency.js';
import { idempotencyKeyOf } from '../bus/command-context.js';

const NewMember = z.object({
  email: z.string().email('must be an email address'),
  role: z.enum(ROLES, { message: 'must be one of owner, admin, member, viewer' }),
});

const NewToken = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100).default('api'),
  /** Whose key; defaults to the caller. */
  memberId: z.string().uuid('must be a member id').optional(),
});

/** Members and API keys of the caller's workspace; owners and admins only. */
@ApiTags('workspace')
@Controller('api/workspace')
@RequireRole('owner', 'admin')
export class WorkspaceController {
  constructor(
    @Inject(WorkspaceStore) private readonly store: WorkspaceStore,
    @Inject(AuthInvalidation) private readonly invalidation: AuthInvalidation,
    @Inject(IdempotentRequests) private readonly idempotent: IdempotentRequests,
  ) {}

  @Get('members')
  @ApiOperation({ summary: 'List the members of the workspace with their roles' })
  async members(@Auth() auth: AuthContext) {
    return { members: await this.store.listMembers(auth.workspaceId) };
  }

  @Post('members')
  @ApiOperation({
    summary: 'Add a member; answers their first API key, shown once',
    description: 'With Idempotency-Key, a retry answers the same member, with `token: null`.',
  })
  @ApiBody({ schema: { example: { email: 'dev@acme.io', role: 'member' } } })
  async addMember(
    @Auth() auth: AuthContext,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { email, role } = validate(NewMember, body);
    this.ownerOnly(auth, role, 'add another owner');
    return this.tokenShownOnce(auth, request, body, reply, async () => {
      const issued = await this.store.addMember(auth.workspaceId, email, role, by(request, auth));
      return {
        member: await this.store.getMember(auth.workspaceId, issued.memberId),
        token: issued.token as string | null,
        tokenId: issued.tokenId,
      };
    });
  }

  @Delete('members/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member and revoke their keys' })
  async removeMember(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ) {
    const target = await this.store.getMember(auth.workspaceId, id);
    if (target) this.ownerOnly(auth, target.role, 'remove an owner');
    const tokenIds = await this.store.removeMember(auth.workspaceId, id, by(request, auth));
    this.invalidation.announce({ memberIds: [id], tokenIds });
  }

  @Get('tokens')
  @ApiOperation({ summary: 'List API keys (never the secret)' })
  async tokens(@Auth() auth: AuthContext) {
    return { tokens: await this.store.listTokens(auth.workspaceId) };
  }

  @Post('tokens')
  @ApiOperation({
    summary: 'Issue an API key, for the caller or a member; shown once',
    description: 'With Idempotency-Key, a retry answers the same key id, with `token: null`.',
  })
  @ApiBody({ schema: { example: { name: 'ci' } } })
  async issueToken(
    @Auth() auth: AuthContext,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { name, memberId } = validate(NewToken, body ?? {});
    if (memberId !== undefined && memberId !== auth.memberId) {
      // A key acts as its member: an admin minting an owner's key would become an owner.
      const target = await this.store.getMember(auth.workspaceId, memberId);
      if (!target) throw new ApiError('not_found', 'member_not_found', `no member ${memberId}`);
      this.ownerOnly(auth, target.role, 'issue a key for an owner');
    }
    return this.tokenShownOnce(auth, request, body, reply, async () => {
      const issued = await this.store.issueToken(
        auth.workspaceId,
        memberId ?? auth.memberId,
        name,
        by(request, auth),
      );
      const info = (await this.store.listTokens(auth.workspaceId)).find(
        (t) => t.id === issued.tokenId,
      );
      // A cached "unknown" for this very key is impossible in practice, but cheap to rule out.
      this.invalidation.announce({});
      return { ...info, token: issued.token as string | null };
    });
  }

  /** Admins act on admins, members and viewers; only an owner acts on an owner (`deed`). */
  private ownerOnly(auth: AuthContext, target: Role, deed: string): void {
    if (target === 'owner' && auth.role !== 'owner') {
      throw new ApiError('forbidden', 'forbidden', `only an owner can ${deed}`, {
        requiredRoles: ['owner'],
        role: auth.role,
      });
    }
  }

  /**
   * A POST that answers a new secret `token`: 201, once. With Idempotency-Key a retry answers the
   * same body with `token: null` (and `idempotent-replayed: true`): the kept answer has no secret.
   */
  private async tokenShownOnce<T extends { token: string | null }>(
    auth: AuthContext,
    request: FastifyRequest,
    body: unknown,
    reply: FastifyReply,
    issue: () => Promise<T>,
  ): Promise<T> {
    const answer: IdempotentAnswer<T> = await this.idempotent.run(
      auth.workspaceId,
      idempotencyKeyOf(request),
      { method: 'POST', path: request.url, body },
      async () => ({ status: 201, body: await issue() }),
      (answered) => ({ ...answered, token: null }),
    );
    reply.status(answer.status);
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return answer.body;
  }

  @Delete('tokens/:id')
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  async revokeToken(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
  ) {
    const existing = (await this.store.listTokens(auth.workspaceId)).find((t) => t.id === id);
    if (!existing) throw new ApiError('not_found', 'token_not_found', `no token ${id}`);
    const owner = await this.store.getMember(auth.workspaceId, existing.memberId);
    if (owner) this.ownerOnly(auth, owner.role, 'revoke a key of an owner');
    const token = await this.store.revokeToken(auth.workspaceId, id, by(request, auth));
    this.invalidation.announce({ tokenIds: [id] });
    return token;
  }
}

/** The member and key making a change over HTTP, and the request it belongs to. */
function by(request: FastifyRequest, auth: AuthContext): ChangeContext {
  return { actor: auth.memberId, actorKeyId: auth.tokenId, correlationId: request.id };
}
