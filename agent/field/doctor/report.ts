import type { CheckResult, CheckStatus } from './types.js';

export interface DoctorReport {
  ok: boolean;
  config: string;
  host: string | null;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export function doctorReport(config: string, host: string | null, checks: CheckResult[]): DoctorReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const check of checks) counts[check.status] += 1;
  return { ok: counts.fail === 0, config, host, counts, checks };
}

const MARKS: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** The checklist an installer reads: one line per check, its hint under it. */
export function formatChecklist(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length), 10);
  const lines = [`minwang check: ${report.host ?? '(no host)'} (${report.config})`, ''];
  for (const check of report.checks) {
    lines.push(`[${MARKS[check.status]}] ${check.title.padEnd(width)}  ${check.message}`);
    if (check.hint !== undefined && check.status !== 'pass') lines.push(`       ${' '.repeat(width)}  → ${check.hint}`);
  }
  const { pass, warn, fail } = report.counts;
  lines.push('', report.ok
    ? `All ${pass + warn} checks passed${warn > 0 ? ` (${warn} with a warning)` : ''}.`
    : `${fail} of ${pass + warn + fail} checks failed.`);
  return `${lines.join('\n')}\n`;
}
