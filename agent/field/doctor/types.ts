import { definedProps } from '../../core/defined-props.js';
/** One line of the doctor's checklist. `warn` is worth reading but does not fail the check. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckOutcome {
  status: CheckStatus;
  /** Plain language: what was found. */
  message: string;
  /** What to do about it (absent when there is nothing to do). */
  hint?: string;
  /** Measured facts for scripts (`--json`): sizes, milliseconds, protocol version... */
  details?: Record<string, unknown>;
}

export interface CheckResult extends CheckOutcome {
  /** Stable id for scripts, e.g. `camera:gate`, `broker`, `disk:/var/lib/minwang`. */
  id: string;
  title: string;
  ms: number;
}

export interface Check {
  id: string;
  title: string;
  /** The check is abandoned (and fails) after this long, so one dead camera cannot hang the doctor. */
  timeoutMs: number;
  /** Checks that saturate the CPU (the model's self-test) run after the others, not beside them. */
  heavy?: boolean;
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export const pass = (message: string, details?: Record<string, unknown>): CheckOutcome => ({ status: 'pass', message, ...definedProps({ details }) });
export const warn = (message: string, hint: string, details?: Record<string, unknown>): CheckOutcome => ({ status: 'warn', message, hint, ...definedProps({ details }) });
export const fail = (message: string, hint: string, details?: Record<string, unknown>): CheckOutcome => ({ status: 'fail', message, hint, ...definedProps({ details }) });
