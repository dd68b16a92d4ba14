/**
 * The commands of contract v1 (`cmd/<op>` → `cmd/<op>/response`): per op its parameter schema and
 * the schema of the answer's `data`. Handlers are registered by op name only; the link takes the
 * parameter schema from here, so no handler can skip the id patterns with a schema of its own.
 */
import { z } from 'zod';
import { cameraId, commandId, itemId } from './ids.js';
import { clipInfoSchema, eventSchema, label, timestamp } from './payloads.js';

/** The fields every request carries; the rest are the op's parameters, validated by its own schema. */
export const commandEnvelopeSchema = z.object({
  id: commandId,
  expires: timestamp.optional(),
});

export const COMMAND_ERROR_CODES = [
  'bad_request', 'unknown_command', 'expired', 'busy', 'not_found', 'unavailable', 'failed',
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

export const commandResponseSchema = z.discriminatedUnion('status', [
  z.strictObject({ id: commandId, status: z.literal('ok'), data: z.unknown() }),
  z.strictObject({ id: commandId, status: z.literal('error'), error: z.strictObject({ code: z.enum(COMMAND_ERROR_CODES), message: z.string() }) }),
]);
export type CommandResponse = z.infer<typeof commandResponseSchema>;

export const noParamsSchema = z.strictObject({});

export const eventQueryParamsSchema = z.strictObject({
  from: timestamp.optional(),
  to: timestamp.optional(),
  camera: cameraId.optional(),
  label: label.optional(),
  limit: z.int().min(1).max(1000).default(100),
});
export type EventQueryParams = z.output<typeof eventQueryParamsSchema>;

export const snapshotParamsSchema = z.strictObject({ camera: cameraId });
export const detectSetParamsSchema = z.strictObject({ camera: cameraId, enabled: z.boolean() });
export const modelInstallParamsSchema = z.strictObject({ url: z.string().min(1).max(2048) });
/** One piece of a bundle sent over MQTT; chunk `index` 0 starts a transfer, each answer acknowledges one. */
export const modelChunkParamsSchema = z.strictObject({
  transfer: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  index: z.int().min(0),
  total: z.int().min(1).max(100_000),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 of this chunk, 64 lowercase hex digits'),
  dataBase64: z.string().max(16 * 1024 * 1024),
});

/** Largest chunk of a clip one answer carries (before base64). */
export const CLIP_CHUNK_MAX = 256 * 1024;
export const CLIP_CHUNK_DEFAULT = 64 * 1024;

/** One chunk of an event's clip: the station asks for the next offset until it has `bytes`. */
export const eventClipParamsSchema = z.strictObject({
  event: itemId,
  offset: z.int().min(0).max(2 ** 40).default(0),
  chunkBytes: z.int().min(1024).max(CLIP_CHUNK_MAX).default(CLIP_CHUNK_DEFAULT),
});
export type EventClipParams = z.output<typeof eventClipParamsSchema>;

export const eventClipAnswerSchema = z.strictObject({
  event: itemId,
  contentType: z.literal('video/mp4'),
  /** The whole clip: size, length and sha256, as on the event's `end`. */
  clip: clipInfoSchema,
  /** Where this chunk starts in the clip, and its length in bytes (0 at the end). */
  offset: z.int().nonnegative(),
  length: z.int().nonnegative().max(CLIP_CHUNK_MAX),
  /** sha256 of this chunk's bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  dataBase64: z.base64().max(Math.ceil(CLIP_CHUNK_MAX / 3) * 4),
});
export type EventClipAnswer = z.infer<typeof eventClipAnswerSchema>;

const slotRef = z.object({ id: z.string(), bundleVersion: z.int().nonnegative(), sha256: z.string() }).loose();

/** Answer `data` of `cmd/snapshot`: a fresh frame with privacy masks burned in, base64 in the answer itself. */
export const snapshotAnswerSchema = z.strictObject({
  camera: cameraId,
  capturedAt: timestamp,
  width: z.int().positive().nullable(),
  height: z.int().positive().nullable(),
  contentType: z.literal('image/jpeg'),
  jpegBase64: z.base64(),
});
export type SnapshotAnswer = z.infer<typeof snapshotAnswerSchema>;
export const detectSetAnswerSchema = z.strictObject({ camera: cameraId, enabled: z.boolean() });
export type DetectSetAnswer = z.infer<typeof detectSetAnswerSchema>;

export interface CommandSpec {
  /** Parameter schema; the envelope (`id`, `expires`) is validated separately. */
  params: z.ZodType;
  /** Schema of the answer's `data` when the status is `ok`. */
  answer: z.ZodType;
  what: string;
  /** Which part of the agent answers it. */
  owner: 'link' | 'cameras' | 'health' | 'model';
}

/** The ops of contract v1. Modules register their handlers through `StationLink.registerCommand`. */
export const COMMANDS = {
  ping: {
    params: noParamsSchema, owner: 'link', what: 'liveness: answers with the session and uptime',
    answer: z.strictObject({ host: z.string(), session: z.int().nonnegative(), uptimeS: z.int().nonnegative(), version: z.string() }),
  },
  rebirth: {
    params: noParamsSchema, owner: 'link', what: 'republishes every retained message (status, heartbeat, cameras, model)',
    answer: z.strictObject({ republished: z.int().positive() }),
  },
  'events/query': {
    params: eventQueryParamsSchema, owner: 'link', what: 'events from the local event log, oldest first',
    answer: z.strictObject({ events: z.array(eventSchema), truncated: z.boolean() }),
  },
  'events/clip': {
    params: eventClipParamsSchema, owner: 'cameras', what: "one chunk of an event's MP4 clip, base64, with its sha256 and the whole clip's; sent only when nothing else waits in the outbox",
    answer: eventClipAnswerSchema,
  },
  'config/get': {
    params: noParamsSchema, owner: 'link', what: 'the running configuration, secrets redacted',
    answer: z.record(z.string(), z.unknown()),
  },
  snapshot: {
    params: snapshotParamsSchema, owner: 'cameras', what: 'publishes a fresh privacy-masked JPEG of a camera',
    answer: snapshotAnswerSchema,
  },
  'detect/set': {
    params: detectSetParamsSchema, owner: 'cameras', what: 'turns detection on or off for a camera',
    answer: detectSetAnswerSchema,
  },
  'patrol/run': {
    params: noParamsSchema, owner: 'health', what: 'makes and publishes the patrol report now',
    answer: z.strictObject({ id: itemId, cameras: z.int().nonnegative(), sheetBytes: z.int().nonnegative().optional() }),
  },
  'model/install': {
    params: modelInstallParamsSchema, owner: 'model', what: 'downloads a signed model bundle from an allowed HTTPS origin and installs it',
    answer: z.strictObject({ accepted: z.literal(true) }),
  },
  'model/install/chunk': {
    params: modelChunkParamsSchema, owner: 'model', what: 'one chunk of a signed model bundle sent over MQTT',
    answer: z.strictObject({ transfer: z.string(), received: z.int().nonnegative(), total: z.int().positive() }),
  },
  'model/rollback': {
    params: noParamsSchema, owner: 'model', what: 'switches back to the previous model',
    answer: z.strictObject({ installed: slotRef }),
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandOp = keyof typeof COMMANDS;
export type CommandParams<Op extends CommandOp> = z.output<(typeof COMMANDS)[Op]['params']>;
export type CommandAnswer<Op extends CommandOp> = z.input<(typeof COMMANDS)[Op]['answer']>;

export function isCommandOp(op: string): op is CommandOp {
  return Object.hasOwn(COMMANDS, op);
}

/** Thrown by a handler to answer with a specific error code. */
export class CommandError extends Error {
  constructor(readonly code: CommandErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
