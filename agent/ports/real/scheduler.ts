import { schedule, validate } from 'node-cron';
import type { Scheduler } from '../scheduler.js';

export const cronScheduler: Scheduler = {
  schedule(expression, task, options) {
    const job = schedule(expression, task, { timezone: options.timezone, name: options.name });
    return { stop: () => void job.stop() };
  },
  validate: (expression) => validate(expression),
};
