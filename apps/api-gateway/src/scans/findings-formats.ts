import type { Log, ReportingDescriptor, Result } from 'sarif';
import { ALL_SCAN_CHECKS, type ScanCheckDefinition } from '#libs/contracts/src/index.js';
import type { FindingView } from './scan-read-model.js';

/**
 * Findings as files people load elsewhere: SARIF 2.1.0 (code scanning, SARIF viewers) and CSV
 * (spreadsheets). The JSON answer is the API's own.
 */
export const FINDING_FORMATS = ['json', 'sarif', 'csv'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

export const SARIF_MEDIA_TYPE = 'application/sarif+json';
export const CSV_MEDIA_TYPE = 'text/csv; charset=utf-8';

/** `?format=` first; otherwise the Accept header (SARIF's media type, or text/csv). */
export function chooseFormat(format: FindingFormat | undefined, accept: string | undefined) {
  if (format) return format;
  const wanted = (accept ?? '').toLowerCase();
  if (wanted.includes(SARIF_MEDIA_TYPE)) return 'sarif';
  if (wanted.includes('text/csv')) return 'csv';
  return 'json';
}

const LEVEL: Record<string, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** GitHub code scanning reads a 0-10 `security-severity` to rank alerts. */
const SECURITY_SEVERITY: Record<string, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

const pascal = (id: string) =>
  id.replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());

function rule(check: ScanCheckDefinition): ReportingDescriptor {
  return {
    id: check.id,
    name: pascal(check.id),
    shortDescription: { text: check.title },
    fullDescription: { text: check.description },
    help: {
      text: `${check.description} Remediation: ${check.remediation} See ${check.reference}`,
      markdown: `${check.description}\n\n**Remediation:** ${check.remediation}\n\n[Reference](${check.reference})`,
    },
    helpUri: check.reference,
    defaultConfiguration: { enabled: check.enabled, level: LEVEL[check.severity] },
    properties: {
      tags: ['security', check.scope],
      'security-severity': SECURITY_SEVERITY[check.severity],
      'github-permissions': check.needs.map((n) => `${n.permission}:${n.level}`),
    },
  };
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * One run of the scanner: a reporting rule per check (with its help), a result per finding.
 * Settings have no source file: a result's location is the repository (or organization) as a
 * logical location, and its URL on GitHub. Resolved findings are results of kind `pass`.
 */
export function toSarif(findings: FindingView[], informationUri: string): Log {
  const rules = ALL_SCAN_CHECKS.map(rule);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const results: Result[] = findings.map((f) => {
    const open = f.state === 'open';
    const isRepo = f.repo.includes('/');
    return {
      ruleId: f.check,
      ...(index.has(f.check) ? { ruleIndex: index.get(f.check)! } : {}),
      kind: open ? 'fail' : 'pass',
      level: open ? (LEVEL[f.severity] ?? 'warning') : 'none',
      message: {
        text: `${f.repo}: ${f.check} expected ${show(f.expected)}, found ${show(f.actual)}.`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: {
              uri: isRepo ? `https://github.com/${f.repo}` : `https://github.com/orgs/${f.repo}`,
            },
          },
          logicalLocations: [
            { fullyQualifiedName: f.repo, kind: isRepo ? 'repository' : 'organization' },
          ],
        },
      ],
      partialFingerprints: { 'findingKey/v1': `${f.repo.toLowerCase()}:${f.check}` },
      properties: {
        severity: f.severity,
        state: f.state,
        expected: f.expected,
        actual: f.actual,
        firstSeenAt: f.firstSeenAt,
        lastSeenAt: f.lastSeenAt,
        resolvedAt: f.resolvedAt,
      },
    };
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'TinyOps GitHub organization scanner',
            informationUri,
            semanticVersion: '1.0.0',
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

const CSV_COLUMNS = [
  'repo',
  'check',
  'severity',
  'state',
  'expected',
  'actual',
  'first_seen_at',
  'last_seen_at',
  'resolved_at',
] as const;

/**
 * RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled; lines end
 * with CRLF. A field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe, as OWASP advises against CSV injection.
 */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : show(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(findings: FindingView[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const f of findings) {
    lines.push(
      [
        f.repo,
        f.check,
        f.severity,
        f.state,
        f.expected,
        f.actual,
        f.firstSeenAt,
        f.lastSeenAt,
        f.resolvedAt,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
