import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '#libs/service-kit/src/index.js';
import { GithubApp } from '../github/github-app.js';

/**
 * A delivery that says the App was uninstalled or suspended is asked of GitHub before anything is
 * disconnected: a replayed or forged one must not cut a workspace off. `GET
 * /app/installations/{id}` with the App's JWT answers 404 once the App is uninstalled, and the
 * installation with `suspended_at` set while it is suspended.
 */
@Injectable()
export class InstallationConfirmation {
  constructor(
    @Inject(GithubApp) private readonly app: GithubApp,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Whether GitHub agrees the installation is gone or suspended. Throws when it cannot say. */
  async confirms(installationId: number): Promise<boolean> {
    if (!this.app.configured) {
      this.logger.warn(
        { installationId },
        'no GitHub App is configured: an uninstall or suspension cannot be confirmed',
      );
      return false;
    }
    try {
      const { data } = await this.app
        .asApp()
        .request('GET /app/installations/{installation_id}', { installation_id: installationId });
      return Boolean(data.suspended_at);
    } catch (error) {
      if ((error as { status?: number }).status === 404) return true;
      throw error;
    }
  }
}
