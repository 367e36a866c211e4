import type { Logger } from 'pino';
import { fail, type Failure } from '#libs/contracts/src/index.js';
import { sql, type Queryable, type Sql } from '#libs/event-store/src/index.js';
import { GithubAppUnavailable, type GithubAppClient } from './github-app-client.js';

export const GITHUB_INSTALLATIONS = Symbol('GITHUB_INSTALLATIONS');

export interface GithubConnectConfig {
  installationId: string;
  accountLogin: string;
}

/**
 * Which workspace a GitHub App installation belongs to. A workspace may connect an installation
 * when the App sees it (`GET /app/installations/{id}`), its account is the `accountLogin` given,
 * the workspace's install flow verified it (unless GITHUB_CONNECT_REQUIRES_INSTALL_FLOW=false),
 * and no other workspace holds it. The hold is a row keyed by installation id, written in the
 * connect's own statement (a guard of the decider kit): of two workspaces connecting one
 * installation at once, the second waits on the first's row and is refused once it commits.
 */
export class GithubInstallations {
  private warnedUnchecked = false;

  constructor(
    private readonly app: GithubAppClient,
    private readonly requiresInstallFlow: boolean,
    private readonly logger: Logger,
  ) {}

  /**
   * Undefined when the workspace may connect it; a refusal otherwise. The hold itself is
   * `hold`'s statement, which the connect writes with its events.
   */
  async check(
    client: Queryable,
    workspaceId: string,
    config: GithubConnectConfig,
  ): Promise<Failure | undefined> {
    const { installationId, accountLogin } = config;
    if (this.requiresInstallFlow && !(await this.verified(client, workspaceId, installationId))) {
      return fail(
        'forbidden',
        'install_flow_required',
        'connect GitHub through the install flow first: POST /api/integrations/github/install ' +
          'answers the URL that installs the App and proves you can access the installation',
      );
    }
    return this.checkWithGithub(installationId, accountLogin);
  }

  /** Takes (or keeps) the installation for the workspace; no row: another workspace holds it. */
  hold(
    workspaceId: string,
    integrationId: string,
    installationId: string,
  ): { statement: Sql; refusal: Failure } {
    return {
      statement: sql`INSERT INTO integration.github_installation_holds AS h
          (installation_id, workspace_id, integration_id, held_since)
        VALUES (${installationId}, ${workspaceId}, ${integrationId}::uuid, now())
        ON CONFLICT (installation_id) DO UPDATE SET integration_id = EXCLUDED.integration_id
        WHERE h.workspace_id = EXCLUDED.workspace_id
        RETURNING 1`,
      refusal: fail(
        'conflict',
        'installation_held',
        `GitHub installation ${installationId} is connected to another workspace; ` +
          'an installation belongs to one workspace at a time',
      ),
    };
  }

  /** A disconnected or deleted integration no longer holds its installation. */
  release(workspaceId: string, integrationId: string): Sql {
    return sql`DELETE FROM integration.github_installation_holds
      WHERE workspace_id = ${workspaceId} AND integration_id = ${integrationId}::uuid`;
  }

  async recordVerification(
    client: Queryable,
    workspaceId: string,
    installationId: string,
    memberId: string | null,
  ): Promise<void> {
    await client.query(
      `INSERT INTO integration.github_install_verifications
         (workspace_id, installation_id, member_id, verified_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (workspace_id, installation_id)
       DO UPDATE SET member_id = EXCLUDED.member_id, verified_at = now()`,
      [workspaceId, installationId, memberId],
    );
  }

  private async verified(client: Queryable, workspaceId: string, installationId: string) {
    const { rows } = await client.query(
      `SELECT 1 FROM integration.github_install_verifications
       WHERE workspace_id = $1 AND installation_id = $2`,
      [workspaceId, installationId],
    );
    return rows.length > 0;
  }

  private async checkWithGithub(
    installationId: string,
    accountLogin: string,
  ): Promise<Failure | undefined> {
    if (!this.app.configured) {
      if (this.requiresInstallFlow) {
        return fail(
          'unavailable',
          'github_app_not_configured',
          'no GitHub App is configured (GITHUB_APP_ID and its private key), so no installation can be confirmed',
        );
      }
      if (!this.warnedUnchecked) {
        this.warnedUnchecked = true;
        this.logger.warn(
          'no GitHub App is configured and GITHUB_CONNECT_REQUIRES_INSTALL_FLOW=false: GitHub connects are taken without asking GitHub',
        );
      }
      return undefined;
    }
    let seen;
    try {
      seen = await this.app.installation(installationId);
    } catch (error) {
      if (!(error instanceof GithubAppUnavailable)) throw error;
      this.logger.warn({ installationId, err: error.message }, 'GitHub connect: no answer');
      return fail(
        'unavailable',
        'github_unavailable',
        'GitHub did not confirm the installation; retry later',
      );
    }
    if (!seen) {
      return fail(
        'validation',
        'installation_not_found',
        'the GitHub App has no such installation',
        [{ field: 'installationId', message: 'the GitHub App is not installed there' }],
      );
    }
    if (seen.accountLogin.toLowerCase() !== accountLogin.toLowerCase()) {
      return fail('validation', 'account_mismatch', 'the installation belongs to another account', [
        { field: 'accountLogin', message: 'is not the account of this installation' },
      ]);
    }
    if (seen.suspendedAt) {
      return fail(
        'conflict',
        'installation_suspended',
        'the GitHub App installation is suspended; unsuspend it on GitHub first',
      );
    }
    return undefined;
  }
}
