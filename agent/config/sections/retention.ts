import { z } from 'zod';
import { byteSize } from '../size.js';
import { cronExpression } from '../cron.js';
import { duration } from '../duration.js';

export const DEFAULT_RETENTION = {
  budget: 2e9,
  maxAge: 30 * 86_400_000,
  sweep: '*/30 * * * *',
  dirs: ['patrol', 'thumbnails'],
};

export const retentionSchema = z.strictObject({
  budget: byteSize({ min: 10e6, max: 2 ** 50 }).default(DEFAULT_RETENTION.budget)
    .describe('bytes the swept directories (thumbnails, patrol sheets) may use together; the outbox has its own outbox.maxBytes'),
  maxAge: duration({ min: 3_600_000, max: 3650 * 86_400_000 }).default(DEFAULT_RETENTION.maxAge).describe('files older than this are swept'),
  sweep: cronExpression.default(DEFAULT_RETENTION.sweep).describe('when the sweep runs (cron in host.timezone)'),
  dirs: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a plain directory name inside the data dir')).max(16)
    .default(DEFAULT_RETENTION.dirs).describe('data-dir subdirectories the sweep keeps within budget'),
}).default(DEFAULT_RETENTION).describe('the sweep that keeps thumbnails and patrol sheets in the data dir within bounds');
