export interface ScheduledJob {
  stop(): void;
  /** True when the expression selects the minute `date` falls in (arming windows ask this at start). */
  matches?(date: Date): boolean;
}

/** Cron-style schedules (patrol report, retention sweeps, arming windows). */
export interface Scheduler {
  /** Throws on an invalid expression. */
  schedule(expression: string, task: () => void, options: { timezone: string; name: string }): ScheduledJob;
  validate(expression: string): boolean;
}
