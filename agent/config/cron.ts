import { validate } from 'node-cron';
import { z } from 'zod';

/** A cron expression (5 fields, or 6 with seconds first), read in `host.timezone`. */
export const cronExpression = z.string().refine((text) => validate(text), {
  message: 'must be a cron expression such as "0 8 * * *" (minute hour day month weekday)',
});
