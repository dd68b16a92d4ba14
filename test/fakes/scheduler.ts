import { createTask, validate, type ScheduledTask } from 'node-cron';
import type { Clock, TimerHandle } from '../../agent/ports/clock.js';
import type { ScheduledJob, Scheduler } from '../../agent/ports/scheduler.js';

/**
 * Cron on a (fake) clock: once per wall-clock minute of the given clock, each job whose
 * expression matches that minute in its time zone runs. node-cron's own matcher decides, so
 * expressions and time zones mean exactly what they mean in production. Minute resolution:
 * a seconds field matches only second 0.
 */
export class ClockScheduler implements Scheduler {
  private readonly jobs = new Set<{ matcher: ScheduledTask; task: () => void }>();
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  schedule(expression: string, task: () => void, options: { timezone: string; name: string }): ScheduledJob {
    const matcher = createTask(expression, () => undefined, { timezone: options.timezone, name: `${options.name}-matcher` });
    const job = { matcher, task };
    this.jobs.add(job);
    this.ensureTicking();
    return {
      stop: () => {
        this.jobs.delete(job);
        void matcher.destroy();
        if (this.jobs.size === 0 && this.timer !== undefined) {
          this.clock.clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  validate(expression: string): boolean {
    return validate(expression);
  }

  private ensureTicking(): void {
    if (this.timer !== undefined) return;
    const msToMinute = 60_000 - (this.clock.now().getTime() % 60_000);
    // Align to the next wall-clock minute, then tick every minute.
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      this.timer = this.clock.setInterval(() => this.tick(), 60_000);
    }, msToMinute === 60_000 ? 0 : msToMinute);
  }

  private tick(): void {
    const now = this.clock.now();
    for (const job of [...this.jobs]) if (job.matcher.match(now)) job.task();
  }
}
