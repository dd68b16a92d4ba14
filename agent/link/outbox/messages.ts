import { z } from 'zod';

/** What a queued message is, for eviction: images go first when the outbox is full. */
export type OutboxKind = 'event' | 'health' | 'patrol' | 'image';

export interface OutboxInput {
  kind: OutboxKind;
  /** Topic below `minwang/<host>/`, e.g. `events` or `events/<id>/thumbnail`. */
  topic: string;
  /** A JSON payload; the outbox adds `seq` (when sequenced) and the link adds `historical`. */
  body?: Record<string, unknown>;
  /** A binary payload (JPEG). */
  blob?: Buffer;
  /** Takes a number from the per-host `seq` (events and health). */
  sequenced: boolean;
}

export interface QueuedMessage {
  /** Outbox record number: unique per host, grows by 1 per queued message. */
  n: number;
  kind: OutboxKind;
  topic: string;
  seq?: number;
  /** Wall-clock ms when it was queued. */
  queuedAt: number;
  body?: Record<string, unknown>;
  /** Id of the stored binary payload, when there is one. */
  blob?: string;
  /** Payload bytes, counted against `outbox.maxBytes`. */
  bytes: number;
  segment: number;
}

/** Journal records as stored: a message, or the counters that head every segment. */
export const journalRecordSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('msg'),
    n: z.int().nonnegative(),
    kind: z.enum(['event', 'health', 'patrol', 'image']),
    topic: z.string().min(1),
    seq: z.int().nonnegative().optional(),
    at: z.number(),
    body: z.record(z.string(), z.unknown()).optional(),
    blob: z.object({ id: z.uuid(), bytes: z.int().nonnegative() }).optional(),
  }),
  z.object({ t: z.literal('meta'), nextN: z.int().nonnegative(), nextSeq: z.int().nonnegative() }),
]);
export type JournalRecord = z.output<typeof journalRecordSchema>;

/** Which messages are done (acknowledged or dropped), and the drop counters. */
export const cursorSchema = z.object({
  doneBelow: z.int().nonnegative(),
  done: z.array(z.int().nonnegative()),
  dropped: z.object({ images: z.int().nonnegative(), messages: z.int().nonnegative() }),
});
export type Cursor = z.output<typeof cursorSchema>;

export function parseJournalRecord(payload: Buffer): JournalRecord | undefined {
  try {
    const result = journalRecordSchema.safeParse(JSON.parse(payload.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
