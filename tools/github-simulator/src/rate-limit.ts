/**
 * GitHub's primary rate limit for one installation and one resource (`core` or `graphql`): a
 * budget per window that runs out and refills at `reset`.
 */
export class RateBudget {
  private used = 0;
  private resetAtMs: number;

  constructor(
    readonly resource: 'core' | 'graphql',
    readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.resetAtMs = Date.now() + windowMs;
  }

  private roll(): void {
    if (Date.now() >= this.resetAtMs) {
      this.used = 0;
      this.resetAtMs = Date.now() + this.windowMs;
    }
  }

  /** Spends `points` if the budget allows; false when it is exhausted. */
  trySpend(points: number): boolean {
    this.roll();
    if (this.used + points > this.limit) return false;
    this.used += points;
    return true;
  }

  get remaining(): number {
    this.roll();
    return Math.max(0, this.limit - this.used);
  }

  /** Uses up the budget now, keeping the reset `resetInMs` from now (for tests). */
  exhaust(resetInMs?: number): void {
    this.roll();
    this.used = this.limit;
    if (resetInMs !== undefined) this.resetAtMs = Date.now() + resetInMs;
  }

  headers(): Record<string, string> {
    this.roll();
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(this.remaining),
      'x-ratelimit-used': String(this.used),
      'x-ratelimit-reset': String(Math.ceil(this.resetAtMs / 1000)),
      'x-ratelimit-resource': this.resource,
    };
  }

  snapshot(): { limit: number; remaining: number; used: number; reset: number } {
    this.roll();
    return {
      limit: this.limit,
      remaining: this.remaining,
      used: this.used,
      reset: Math.ceil(this.resetAtMs / 1000),
    };
  }
}

/** The two budgets of one installation. */
export interface Budgets {
  core: RateBudget;
  graphql: RateBudget;
}

/**
 * Every installation's own budgets, made on its first call: GitHub counts an App's primary
 * rate limit per installation, so one busy organization never spends another's.
 */
export class InstallationBudgets {
  private readonly byInstallation = new Map<number, Budgets>();

  constructor(private readonly limits: { core: number; graphql: number; windowMs: number }) {}

  of(installationId: number): Budgets {
    let budgets = this.byInstallation.get(installationId);
    if (!budgets) {
      const { core, graphql, windowMs } = this.limits;
      budgets = {
        core: new RateBudget('core', core, windowMs),
        graphql: new RateBudget('graphql', graphql, windowMs),
      };
      this.byInstallation.set(installationId, budgets);
    }
    return budgets;
  }
}
