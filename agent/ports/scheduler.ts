export interface ScheduledJob {
  stop(): void;
}

/** Cron-style schedules (patrol report, retention sweeps, arming windows). */
export interface Scheduler {
  /** Throws on an invalid expression. */
  schedule(expression: string, task: () => void, options: { timezone: string; name: string }): ScheduledJob;
  validate(expression: string): boolean;
}
