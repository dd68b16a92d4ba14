import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { ScheduledJob, Scheduler } from '../../ports/scheduler.js';

export interface Job {
  name: string;
  /** Cron expression, read in the host's time zone. */
  cron: string;
  run: () => Promise<unknown>;
}

/**
 * The agent's cron jobs (patrol report, retention sweep, ...), in `host.timezone`. A run that is
 * still going when its next time comes is skipped, not stacked; a failing run is logged and the
 * schedule goes on.
 */
export class ScheduledJobs implements Module {
  readonly name = 'schedule';
  private readonly scheduled: ScheduledJob[] = [];
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: { scheduler: Scheduler; timezone: string; logger: Logger; jobs: readonly Job[] }) {}

  start(): Promise<void> {
    const { scheduler, timezone, jobs } = this.deps;
    for (const job of jobs) {
      this.scheduled.push(scheduler.schedule(job.cron, () => this.fire(job), { timezone, name: job.name }));
    }
    this.deps.logger.info({ jobs: jobs.map((j) => `${j.name} ${j.cron}`), timezone }, 'schedules set');
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    for (const job of this.scheduled.splice(0)) job.stop();
    await Promise.allSettled([...this.running.values()]);
  }

  private fire(job: Job): void {
    const log = this.deps.logger.child({ job: job.name });
    if (this.running.has(job.name)) {
      log.warn('previous run still in progress; skipping this one');
      return;
    }
    const run = (async () => {
      try {
        await job.run();
        log.debug('ran');
      } catch (err) {
        log.error({ err }, 'scheduled job failed');
      }
    })().finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
  }
}
