import { schedule, validate } from 'node-cron';
import type { Scheduler } from '../scheduler.js';

export const cronScheduler: Scheduler = {
  schedule(expression, task, options) {
    const job = schedule(expression, task, { timezone: options.timezone, name: options.name });
    return {
      stop: () => void job.stop(),
      // node-cron matches seconds too; a 5-field expression fires at second 0 of its minutes.
      matches: (date) => job.match(new Date(Math.floor(date.getTime() / 60_000) * 60_000)),
    };
  },
  validate: (expression) => validate(expression),
};
