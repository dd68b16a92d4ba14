import type { ModelsConfig } from '../../config/sections/models.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SlotState, SlotStore } from './slots.js';

/** What one inference during a trial decides. */
export type TrialVerdict = { kind: 'continue' } | { kind: 'commit' } | { kind: 'rollback'; reason: string };

/** How many inference times before a switch make the baseline a new model is compared with. */
const BASELINE_SIZE = 50;

/**
 * The trial after a switch: the new model must answer `trial.inferences` inferences without an
 * error and no slower than `trial.maxSlowdown` times the model before it, or it is rolled back.
 */
export class TrialJudge {
  private ok = 0;
  private totalMs = 0;
  private baselineMs: number[] = [];

  constructor(private readonly config: ModelsConfig['trial']) {}

  /** A new model went on trial: its count starts again; the baseline is the model before it. */
  begin(): void {
    this.ok = 0;
    this.totalMs = 0;
  }

  /** An inference outside any trial: it becomes part of the baseline. */
  observe(err: unknown, ms: number): void {
    if (err === undefined) this.baselineMs = [...this.baselineMs.slice(-(BASELINE_SIZE - 1)), ms];
  }

  judge(err: unknown, ms: number): TrialVerdict {
    if (err !== undefined) {
      const code = (err as { code?: unknown }).code;
      // A full queue or a stopping detector says nothing about the model.
      if (code === 'detector.busy' || code === 'detector.stopped') return { kind: 'continue' };
      return { kind: 'rollback', reason: `the new model failed an inference during its trial: ${errorMessage(err)}` };
    }
    this.ok += 1;
    this.totalMs += ms;
    if (this.ok < this.config.inferences) return { kind: 'continue' };
    const trialMs = this.totalMs / this.ok;
    const baseline = this.baselineMs.length === 0 ? undefined : this.baselineMs.reduce((a, b) => a + b, 0) / this.baselineMs.length;
    if (baseline !== undefined && trialMs > baseline * this.config.maxSlowdown) {
      return { kind: 'rollback', reason: `the new model takes ${Math.round(trialMs)} ms per inference, over ${this.config.maxSlowdown}x the previous ${Math.round(baseline)} ms` };
    }
    this.baselineMs = [];
    return { kind: 'commit' };
  }
}

export interface BootRecovery {
  state: SlotState;
  /** Set when the trial slot was given up: the alert to raise. */
  rolledBack?: { message: string; details: Record<string, unknown> };
}

/** Crash loop: a trial slot that keeps restarting the agent, or a slot whose files went bad. */
export async function recoverAtBoot(state: SlotState, deps: { slots: SlotStore; maxBoots: number; logger: Logger }): Promise<BootRecovery> {
  const { slots } = deps;
  const { trial, current, previous } = state;
  let next = state;
  if (trial !== null && previous !== null) {
    const boots = trial.boots + 1;
    if (boots > deps.maxBoots) {
      next = { ...state, current: previous, previous: null, trial: null };
      await slots.writeState(next);
      const message = `model ${current.id}@${current.bundleVersion} rolled back after ${trial.boots} starts without finishing its trial`;
      return { state: next, rolledBack: { message, details: { from: current.bundleVersion } } };
    }
    next = { ...state, trial: { boots } };
    await slots.writeState(next);
  }
  if (await slots.loadable(next.current)) return { state: next };
  const fallback = previous !== null && next.current !== previous && (await slots.loadable(previous)) ? previous : slots.packagedRef();
  deps.logger.error({ slot: next.current, fallback }, 'current model slot is damaged; falling back');
  next = { ...next, current: fallback, previous: null, trial: null };
  await slots.writeState(next);
  return { state: next };
}
