import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  FindingStates,
  ScannerSubjects,
  type InvalidateCacheResult,
  type ScanOrgResult,
  type ScanPermissionsResult,
} from '#libs/contracts/src/index.js';
import { Auth, Authenticated, RequireRole, type AuthContext } from '../auth/index.js';
import { CommandBus, commandContextOf } from '../bus/index.js';
import { ApiError } from '../errors/api-error.js';
import { validate } from '../http/validate.js';
import { IntegrationReadModel } from '../integrations/integration-read-model.js';
import { ReposQuery } from '../integrations/repos-query.js';
import {
  chooseFormat,
  CSV_MEDIA_TYPE,
  FINDING_FORMATS,
  SARIF_MEDIA_TYPE,
  toCsv,
  toSarif,
} from './findings-formats.js';
import { StreamSlots } from '../limits/stream-slots.js';
import { ScanProgressFeed } from './scan-progress-feed.js';
import { ScanReadModel } from './scan-read-model.js';
import { toProgressView } from './scan-progress.js';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

const FindingsQuery = ReposQuery.omit({ search: true }).extend({
  repo: z.string().trim().min(1).max(300).optional(),
  check: z.string().trim().min(1).max(100).optional(),
  severity: z.enum(SEVERITIES, { message: `must be one of ${SEVERITIES.join(', ')}` }).optional(),
  state: z
    .enum(FindingStates, { message: `must be one of ${FindingStates.join(', ')}` })
    .default('open'),
  format: z
    .enum(FINDING_FORMATS, { message: `must be one of ${FINDING_FORMATS.join(', ')}` })
    .optional(),
});

const HistoryQuery = ReposQuery.omit({ search: true }).extend({
  repo: z.string().trim().min(1, 'repo is required').max(300),
  check: z.string().trim().min(1).max(100).optional(),
});

/** How long scan-org waits for the projection to show the scan it started (read-your-writes). */
const SHOW_STARTED_SCAN_MS = 2_000;

/**
 * The TinyOps Integrations API's GitHub organization scanning. Commands go to the scanner over NATS; progress,
 * status, repositories and findings are read from the gateway's projection of SCANNER_EVENTS.
 * Every scan endpoint needs owner or admin; the repository list needs any member.
 */
@ApiTags('github scans')
@Controller('api/integrations/github')
export class ScansController {
  constructor(
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(ScanReadModel) private readonly readModel: ScanReadModel,
    @Inject(IntegrationReadModel) private readonly integrations: IntegrationReadModel,
    @Inject(ScanProgressFeed) private readonly feed: ScanProgressFeed,
    @Inject(StreamSlots) private readonly slots: StreamSlots,
  ) {}

  @Post('scan-org')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary:
      'Start a full organization scan (owner or admin). 202 with the new scan; 200 with the running one if a scan is already under way.',
  })
  @ApiResponse({ status: 202, description: 'Scan queued' })
  @ApiResponse({ status: 200, description: 'A scan was already running: that one' })
  async scanOrg(
    @Auth() auth: AuthContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value } = await this.bus.call<ScanOrgResult>(
      ScannerSubjects.scanOrg,
      {},
      commandContextOf(request, auth),
    );
    await this.waitUntilShown(auth.workspaceId, value.scanId);
    reply.status(value.alreadyRunning ? 200 : 202);
    return value;
  }

  @Get('scan-permissions')
  @RequireRole('owner', 'admin')
  @ApiOperation({ summary: 'Whether the GitHub App may read everything a scan needs' })
  async scanPermissions(@Auth() auth: AuthContext, @Req() request: FastifyRequest) {
    const { value } = await this.bus.call<ScanPermissionsResult>(
      ScannerSubjects.permissions,
      {},
      commandContextOf(request, auth),
    );
    return value;
  }

  @Get('scan-progress')
  @RequireRole('owner', 'admin')
  @ApiOperation({ summary: 'Progress of the current or last scan' })
  async scanProgress(@Auth() auth: AuthContext) {
    return toProgressView(await this.readModel.scan(auth.workspaceId));
  }

  @Get('scan-progress/stream')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary:
      'Live scan progress as server-sent events (`event: progress`, one per change); at most SSE_STREAMS_PER_KEY open per key (429 beyond)',
  })
  scanProgressStream(
    @Auth() auth: AuthContext,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const release = this.slots.take(auth.tokenId);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const stop = this.feed.watch(
      auth.workspaceId,
      (chunk) => raw.write(chunk),
      () => raw.end(),
    );
    request.raw.once('close', () => {
      stop();
      release();
    });
  }

  @Post('scan-cache/invalidate')
  @HttpCode(200)
  @RequireRole('owner', 'admin')
  @ApiOperation({ summary: 'Forget cached scan results so the next scan reads everything afresh' })
  async invalidateCache(@Auth() auth: AuthContext, @Req() request: FastifyRequest) {
    const { value } = await this.bus.call<InvalidateCacheResult>(
      ScannerSubjects.invalidateCache,
      {},
      commandContextOf(request, auth),
    );
    return value;
  }

  @Get('scan-status')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary:
      'When the last scan completed (null before the first), and the checks it skipped for want of a GitHub permission',
  })
  async scanStatus(@Auth() auth: AuthContext) {
    const scan = await this.readModel.scan(auth.workspaceId);
    return {
      lastCompletedAt: scan?.lastCompletedAt ?? null,
      lastCompletedScanId: scan?.lastCompletedScanId ?? null,
      skippedChecks: scan?.lastSkippedChecks ?? [],
    };
  }

  @Get('findings')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary:
      'Drift findings, most severe first: open ones by default, or resolved ones; as JSON, SARIF 2.1.0 (`?format=sarif` or `Accept: application/sarif+json`) or CSV (`?format=csv` or `Accept: text/csv`). SARIF and CSV carry every matching finding.',
  })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'per_page', required: false, example: 30 })
  @ApiQuery({ name: 'repo', required: false, example: 'acme/api' })
  @ApiQuery({ name: 'check', required: false, example: 'default_branch_protected' })
  @ApiQuery({ name: 'severity', required: false, enum: SEVERITIES })
  @ApiQuery({ name: 'state', required: false, enum: FindingStates })
  @ApiQuery({ name: 'format', required: false, enum: FINDING_FORMATS })
  async findings(
    @Auth() auth: AuthContext,
    @Query() query: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { page, per_page, repo, check, severity, state, format } = validate(
      FindingsQuery,
      query,
      'query',
    );
    const filter = { repo, check, severity, state };
    const chosen = chooseFormat(format, request.headers.accept);
    if (chosen === 'json') {
      const result = await this.readModel.findings(auth.workspaceId, page, per_page, filter);
      return { ...result, page, per_page };
    }
    const { findings } = await this.readModel.findings(auth.workspaceId, 1, 0, filter);
    if (chosen === 'sarif') {
      reply.header('content-type', SARIF_MEDIA_TYPE);
      return JSON.stringify(toSarif(findings, `${request.protocol}://${request.host}/api/docs`));
    }
    reply.header('content-type', CSV_MEDIA_TYPE);
    reply.header('content-disposition', 'attachment; filename="findings.csv"');
    return toCsv(findings);
  }

  @Get('findings/history')
  @RequireRole('owner', 'admin')
  @ApiOperation({
    summary:
      "A repository's (or, by its login, the organization's) findings history: each opening and resolution, oldest first",
  })
  @ApiQuery({ name: 'repo', required: true, example: 'acme/api' })
  @ApiQuery({ name: 'check', required: false, example: 'default_branch_protected' })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'per_page', required: false, example: 30 })
  async findingHistory(@Auth() auth: AuthContext, @Query() query: unknown) {
    const { page, per_page, repo, check } = validate(HistoryQuery, query, 'query');
    const result = await this.readModel.findingHistory(
      auth.workspaceId,
      repo,
      page,
      per_page,
      check,
    );
    return { repo, ...result, page, per_page };
  }

  @Get('repos')
  @Authenticated()
  @ApiOperation({ summary: 'Repositories of the connected GitHub installation' })
  @ApiQuery({ name: 'page', required: false, example: 1 })
  @ApiQuery({ name: 'per_page', required: false, example: 30 })
  @ApiQuery({ name: 'search', required: false, example: 'api' })
  async repos(@Auth() auth: AuthContext, @Query() query: unknown) {
    const { page, per_page, search } = validate(ReposQuery, query, 'query');
    const integration = await this.integrations.byProvider(auth.workspaceId, 'github');
    if (integration?.status !== 'connected') {
      throw new ApiError('not_found', 'not_connected', 'github is not connected');
    }
    const { repos, total } = await this.readModel.repos(auth.workspaceId, page, per_page, search);
    return { repos, total, page, per_page };
  }

  private async waitUntilShown(workspaceId: string, scanId: string): Promise<void> {
    const deadline = Date.now() + SHOW_STARTED_SCAN_MS;
    while (Date.now() < deadline) {
      if ((await this.readModel.scan(workspaceId))?.scanId === scanId) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
