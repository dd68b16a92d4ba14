import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { RestartHistory } from '../state/restart-record.js';
import type { AlertBoard } from './alerts.js';

/** A run this long counts as recovered: the alert clears and the backoff resets. */
export const STABLE_AFTER_MS = 10 * 60_000;

/**
 * Tells the station why the agent keeps restarting: `agent_restarting` is raised at start when the
 * runs before this one failed, with the count and the last reason, and cleared once this run has
 * stayed up for `STABLE_AFTER_MS`.
 */
export class RestartAlert implements Module {
  readonly name = 'restart-alert';
  private timer: TimerHandle | undefined;

  constructor(private readonly deps: { history: RestartHistory; alerts: AlertBoard; clock: Clock; onStable: () => Promise<void> }) {}

  start(): Promise<void> {
    const { history, alerts, clock } = this.deps;
    if (history.failures > 0) {
      alerts.raise('agent_restarting', 'host', {
        severity: history.failures >= 3 ? 'critical' : 'warning',
        message: `the agent restarted after ${history.failures} failed run(s) in a row; last: ${history.reason}`,
        details: { failures: history.failures, lastReason: history.reason, lastAt: history.at },
      });
    }
    this.timer = clock.setTimeout(() => void this.stable(), STABLE_AFTER_MS);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  private async stable(): Promise<void> {
    this.timer = undefined;
    await this.deps.onStable();
    this.deps.alerts.clear('agent_restarting', 'host', `the agent has run for ${STABLE_AFTER_MS / 60_000} minutes without failing`);
  }
}
