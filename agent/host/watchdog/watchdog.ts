import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Notifier } from './notifier.js';
import type { ProgressTracker } from './progress.js';

export interface WatchdogDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  logger: Logger;
  notifier: Notifier;
  progress: ProgressTracker;
  /** A loop quiet for longer than this withholds the ping. */
  maxQuietMs: number;
  pid?: number;
}

/**
 * systemd's watchdog (`Type=notify`, `WatchdogSec=`). `READY=1` once every module has started
 * (this module is started last); then `WATCHDOG=1` every half period, but only while every
 * loop reports progress: a hung agent is restarted by systemd instead of looking alive. Does
 * nothing when not started by systemd (no NOTIFY_SOCKET).
 */
export class Watchdog implements Module {
  readonly name = 'watchdog';
  private timer: TimerHandle | undefined;
  private pending: Promise<void> | undefined;
  private withheld = false;
  pings = 0;

  constructor(private readonly deps: WatchdogDeps) {}

  async start(): Promise<void> {
    const { env, logger } = this.deps;
    if (env['NOTIFY_SOCKET'] === undefined || env['NOTIFY_SOCKET'] === '') {
      logger.debug('not under systemd (no NOTIFY_SOCKET): no readiness or watchdog notifications');
      return;
    }
    await this.send('READY=1');
    const periodMs = this.watchdogPeriodMs();
    if (periodMs === undefined) return;
    logger.info({ periodMs, loops: this.deps.progress.loops(), maxQuietMs: this.deps.maxQuietMs }, 'systemd watchdog armed');
    this.timer = this.deps.clock.setInterval(() => this.tick(), Math.max(500, Math.floor(periodMs / 2)));
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    await this.pending;
    if (this.deps.env['NOTIFY_SOCKET']) await this.send('STOPPING=1');
  }

  private tick(): void {
    const stalled = this.deps.progress.stalled(this.deps.maxQuietMs);
    if (stalled.length > 0) {
      if (!this.withheld) this.deps.logger.error({ stalled }, 'loops stopped making progress: withholding the watchdog ping');
      this.withheld = true;
      return;
    }
    if (this.withheld) this.deps.logger.info('all loops make progress again: watchdog pings resume');
    this.withheld = false;
    if (this.pending !== undefined) return; // the previous ping is still on its way
    this.pings++;
    this.pending = this.send('WATCHDOG=1').finally(() => { this.pending = undefined; });
  }

  /** WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID unset or ours). */
  private watchdogPeriodMs(): number | undefined {
    const { env } = this.deps;
    const usec = Number(env['WATCHDOG_USEC']);
    const pid = env['WATCHDOG_PID'];
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    if (pid !== undefined && Number(pid) !== (this.deps.pid ?? process.pid)) return undefined;
    return usec / 1000;
  }

  private async send(state: string): Promise<void> {
    try {
      await this.deps.notifier.notify(state);
    } catch (err) {
      this.deps.logger.warn({ state, err }, `systemd notification failed: ${errorMessage(err)}`);
    }
  }
}
