import { RELEASED_VERSIONS, type ReleasedVersion, type Stability } from './api-versions.js';

/** The seed's pattern for `version`, verbatim. */
export const VERSION_PATTERN =
  /^(wip|work-in-progress|experimental|beta|((([0-9]{4})-([0-1][0-9]))-((3[01])|(0[1-9])|([12][0-9]))(~(wip|work-in-progress|experimental|beta))?))$/;

const RANK: Record<Stability, number> = { wip: 0, experimental: 1, beta: 2, ga: 3 };

export interface ResolvedVersion {
  requested: string;
  /** What is served, e.g. `2026-03-25` or `2026-09-01~beta`. */
  served: string;
  version: ReleasedVersion;
  deprecated: boolean;
}

export type VersionProblem =
  | { status: 400; code: 'version_missing' | 'version_invalid'; detail: string }
  | { status: 404; code: 'version_not_found'; detail: string }
  | { status: 410; code: 'version_sunset'; detail: string };

export type VersionResolution =
  { ok: true; resolved: ResolvedVersion } | { ok: false; problem: VersionProblem };

const normalize = (stability: string): Stability =>
  stability === 'work-in-progress' ? 'wip' : (stability as Stability);

export const servedName = (v: ReleasedVersion) =>
  v.stability === 'ga' ? v.date : `${v.date}~${v.stability}`;

/**
 * A date asks for the newest version released on or before it, at the requested stability or a
 * more stable one (a plain date means GA); a bare stability asks for the newest one as of today.
 * Pure: the clock and the table are arguments.
 */
export function resolveVersion(
  raw: unknown,
  today: string = new Date().toISOString().slice(0, 10),
  table: readonly ReleasedVersion[] = RELEASED_VERSIONS,
): VersionResolution {
  if (raw === undefined || raw === '') {
    return problem(
      400,
      'version_missing',
      'The version query parameter is required, e.g. version=2026-03-25.',
    );
  }
  if (typeof raw !== 'string' || !VERSION_PATTERN.test(raw)) {
    return problem(
      400,
      'version_invalid',
      'version must be a date (YYYY-MM-DD), optionally with ~wip, ~experimental or ~beta, or one of wip, work-in-progress, experimental, beta.',
    );
  }
  const [datePart, stabilityPart] = /^\d/.test(raw) ? raw.split('~') : [today, raw];
  if (!isCalendarDate(datePart)) {
    return problem(400, 'version_invalid', `version ${raw} does not name a calendar date.`);
  }
  const stability = normalize(stabilityPart ?? 'ga');
  const eligible = table.filter((v) => RANK[v.stability] >= RANK[stability] && v.date <= today);
  const candidates = eligible.filter((v) => v.date <= datePart);
  const chosen = candidates.at(-1);
  if (!chosen) {
    const first = eligible[0];
    return problem(
      404,
      'version_not_found',
      first
        ? `No API version was released on or before ${datePart}; the first is ${servedName(first)}.`
        : `No API version at stability ${stability} has been released.`,
    );
  }
  if (chosen.sunsetOn !== undefined && chosen.sunsetOn <= today) {
    const successor = eligible.at(-1)!;
    return problem(
      410,
      'version_sunset',
      `API version ${servedName(chosen)} was sunset on ${chosen.sunsetOn}; use ${servedName(successor)}.`,
    );
  }
  return {
    ok: true,
    resolved: {
      requested: raw,
      served: servedName(chosen),
      version: chosen,
      deprecated: chosen.deprecatedOn !== undefined && chosen.deprecatedOn <= today,
    },
  };
}

/** Response headers for a resolved version: RFC 9745 Deprecation, RFC 8594 Sunset. */
export function versionHeaders(resolved: ResolvedVersion): Record<string, string> {
  const { version } = resolved;
  const headers: Record<string, string> = {
    'api-version-requested': resolved.requested,
    'api-version-served': resolved.served,
    'api-version-lifecycle-stage': resolved.deprecated ? 'deprecated' : version.stability,
  };
  if (resolved.deprecated && version.deprecatedOn) {
    headers.deprecation = `@${Date.parse(`${version.deprecatedOn}T00:00:00Z`) / 1000}`;
  }
  if (version.sunsetOn) {
    headers.sunset = new Date(`${version.sunsetOn}T00:00:00Z`).toUTCString();
  }
  return headers;
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function problem<S extends VersionProblem['status']>(
  status: S,
  code: Extract<VersionProblem, { status: S }>['code'],
  detail: string,
): VersionResolution {
  return { ok: false, problem: { status, code, detail } as VersionProblem };
}
