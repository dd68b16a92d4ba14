import { definedProps } from '../../core/defined-props.js';
import type { Text } from './i18n/index.js';
/** One line of the doctor's checklist. `warn` is worth reading but does not fail the check. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckOutcome {
  status: CheckStatus;
  /** Plain language: what was found. */
  message: Text;
  /** What to do about it (absent when there is nothing to do). */
  hint?: Text;
  /** Measured facts for scripts (`--json`): sizes, milliseconds, protocol version... */
  details?: Record<string, unknown>;
}

/** A finished check, not yet put into words (see report.ts). */
export interface CheckFinding extends CheckOutcome {
  /** Stable id for scripts, e.g. `camera:gate`, `broker`, `disk:/var/lib/minwang`. */
  id: string;
  title: Text;
  ms: number;
}

export interface Check {
  id: string;
  title: Text;
  /** The check is abandoned (and fails) after this long, so one dead camera cannot hang the doctor. */
  timeoutMs: number;
  /** Checks that saturate the CPU (the model's self-test) run after the others, not beside them. */
  heavy?: boolean;
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export const pass = (message: Text, details?: Record<string, unknown>): CheckOutcome => ({ status: 'pass', message, ...definedProps({ details }) });
export const warn = (message: Text, hint: Text, details?: Record<string, unknown>): CheckOutcome => ({ status: 'warn', message, hint, ...definedProps({ details }) });
export const fail = (message: Text, hint: Text, details?: Record<string, unknown>): CheckOutcome => ({ status: 'fail', message, hint, ...definedProps({ details }) });
