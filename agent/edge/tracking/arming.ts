import type { ArmWindow } from '../../config/sections/camera-pipeline.js';
import type { Clock } from '../../ports/clock.js';
import type { ScheduledJob, Scheduler } from '../../ports/scheduler.js';
import type { Label } from '../types.js';

const MINUTE = 60_000;

interface ArmedWindow {
  labels: readonly Label[];
  job: ScheduledJob;
  lastFireMono: number | undefined;
}

/**
 * When a camera's alerts are armed, per label: each window is a cron expression (node-cron, in
 * the host's time zone) and arms its labels during every minute it selects. With no windows the
 * camera is always armed.
 */
export class ArmingSchedule {
  private windows: ArmedWindow[] = [];

  constructor(
    private readonly camera: string,
    private readonly config: readonly ArmWindow[] | undefined,
    private readonly deps: { scheduler: Scheduler; clock: Clock; timezone: string },
  ) {}

  start(): void {
    this.windows = (this.config ?? []).map((window, i) => {
      const armed: ArmedWindow = { labels: window.labels, job: { stop: () => undefined }, lastFireMono: undefined };
      armed.job = this.deps.scheduler.schedule(window.when, () => { armed.lastFireMono = this.deps.clock.monotonicMs(); }, {
        timezone: this.deps.timezone,
        name: `arm:${this.camera}:${i}`,
      });
      return armed;
    });
  }

  stop(): void {
    for (const window of this.windows) window.job.stop();
    this.windows = [];
  }

  armed(label: Label): boolean {
    if (this.config === undefined) return true;
    const now = this.deps.clock.now();
    return this.windows.some((w) => w.labels.includes(label) && this.inWindow(w, now));
  }

  private inWindow(window: ArmedWindow, now: Date): boolean {
    if (window.job.matches !== undefined) return window.job.matches(now);
    // A scheduler that cannot match: armed for the minute after each time the job fired.
    return window.lastFireMono !== undefined && this.deps.clock.monotonicMs() - window.lastFireMono < MINUTE;
  }
}

/** A token bucket: at most `perMinute` takes per minute, refilled continuously. */
export class RateCap {
  private tokens: number;
  private lastMono: number;

  constructor(private readonly perMinute: number, private readonly clock: Clock) {
    this.tokens = perMinute;
    this.lastMono = clock.monotonicMs();
  }

  take(): boolean {
    const now = this.clock.monotonicMs();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.lastMono) * this.perMinute) / MINUTE);
    this.lastMono = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
