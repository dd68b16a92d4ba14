import { z } from 'zod';
import { duration } from '../duration.js';

export const heartbeatSchema = z.strictObject({
  interval: duration({ min: 5000, max: 3_600_000 }).default(30_000).describe('how often the retained heartbeat is refreshed'),
}).default({ interval: 30_000 }).describe('the retained heartbeat topic');
