/**
 * The released versions of the REST API, newest last. Data, not code: releasing, deprecating or
 * sunsetting a version is one line here. A version is deprecated from the day a successor at the
 * same (or a more stable) stability was released; after its sunset it is no longer served.
 */
export type Stability = 'wip' | 'experimental' | 'beta' | 'ga';

export interface ReleasedVersion {
  /** Release date, `YYYY-MM-DD`. */
  date: string;
  stability: Stability;
  deprecatedOn?: string;
  sunsetOn?: string;
}

export const RELEASED_VERSIONS: readonly ReleasedVersion[] = [
  { date: '2024-10-15', stability: 'beta', deprecatedOn: '2025-04-22', sunsetOn: '2025-07-22' },
  { date: '2025-04-22', stability: 'ga', deprecatedOn: '2026-03-25', sunsetOn: '2027-03-25' },
  { date: '2026-03-25', stability: 'ga' },
  { date: '2026-09-01', stability: 'beta' },
  { date: '2026-10-20', stability: 'experimental' },
];
