import { definedProps } from '../../core/defined-props.js';
import type { Lang } from '../../core/i18n/lang.js';
import { say, textIn, type Text } from './i18n/index.js';
import type { CheckFinding, CheckStatus } from './types.js';

/** One line of the report, in words. `id`, `status` and `details` are the same in every language. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  ms: number;
}

export interface DoctorReport {
  ok: boolean;
  config: string;
  host: string | null;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export function doctorReport(config: string, host: string | null, findings: CheckFinding[], lang: Lang): DoctorReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const finding of findings) counts[finding.status] += 1;
  return { ok: counts.fail === 0, config, host, counts, checks: findings.map((f) => inWords(f, lang)) };
}

export function inWords(finding: CheckFinding, lang: Lang): CheckResult {
  const { id, title, status, message, hint, details, ms } = finding;
  return {
    id, title: textIn(lang, title), status, message: textIn(lang, message),
    ...definedProps({ hint: hint === undefined ? undefined : textIn(lang, hint), details }),
    ms,
  };
}

/** The checklist an installer reads: one line per check, its hint under it, aligned on a terminal (CJK is two columns wide). */
export function formatChecklist(report: DoctorReport, lang: Lang): string {
  const words = (text: Text): string => textIn(lang, text);
  const width = Math.max(...report.checks.map((c) => displayWidth(c.title)), 10);
  const lines = [words(say('report.heading', { host: report.host ?? say('report.noHost'), config: report.config })), ''];
  for (const check of report.checks) {
    const pad = ' '.repeat(width - displayWidth(check.title));
    lines.push(`[${words(say(`mark.${check.status}`))}] ${check.title}${pad}  ${check.message}`);
    if (check.hint !== undefined && check.status !== 'pass') lines.push(`       ${' '.repeat(width)}  → ${check.hint}`);
  }
  const { pass, warn, fail } = report.counts;
  const summary = !report.ok ? say('report.failed', { failed: fail, n: pass + warn + fail })
    : warn > 0 ? say('report.allPassedWarned', { n: pass + warn, warned: warn }) : say('report.allPassed', { n: pass + warn });
  lines.push('', words(summary));
  return `${lines.join('\n')}\n`;
}

/** Columns a terminal gives the text: East Asian wide and full-width characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += WIDE.test(char) ? 2 : 1;
  return width;
}

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
