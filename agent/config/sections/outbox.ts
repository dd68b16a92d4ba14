import { z } from 'zod';
import { duration } from '../duration.js';
import { byteSize } from '../size.js';

export const OUTBOX_DEFAULTS = {
  maxBytes: 256 * 1024 ** 2,
  maxMessages: 100_000,
  historicalAfter: 60_000,
} as const;

/** The durable store-and-forward queue between the stages and the broker. */
export const outboxSchema = z.strictObject({
  maxBytes: byteSize({ min: 1024 ** 2, max: 64 * 1024 ** 3 }).default(OUTBOX_DEFAULTS.maxBytes)
    .describe('queued bytes kept while the station is unreachable; when full, thumbnails are dropped first, then the oldest messages (the heartbeat reports how many)'),
  maxMessages: z.int().min(100).max(10_000_000).default(OUTBOX_DEFAULTS.maxMessages).describe('queued messages kept'),
  historicalAfter: duration({ min: 1000, max: 7 * 86_400_000 }).default(OUTBOX_DEFAULTS.historicalAfter)
    .describe('a message delivered later than this after it was queued is marked historical: true'),
}).default({ ...OUTBOX_DEFAULTS })
  .describe('the durable store-and-forward queue (storage.dataDir/outbox) that keeps events, thumbnails, health alerts and patrol reports while the station is unreachable');

/** The local log of events the station can query back (`events/query`). */
export const eventLogSchema = z.strictObject({
  retention: duration({ min: 3_600_000, max: 365 * 86_400_000 }).default(7 * 86_400_000).describe('how long events are kept'),
}).default({ retention: 7 * 86_400_000 }).describe('the local event log the station can query back with the events/query command');
