/**
 * What the station accepts from the broker. Anything on `minwang/#` is untrusted input: every
 * payload is checked here before it reaches the state model. Unknown extra fields are kept
 * (`looseObject`), so a newer agent that adds fields still reaches an older console.
 */
import { z } from 'zod';

/** Host ids as the config allows them; they become file names and URL segments. */
export const HOST_ID = /^[a-z0-9-]{1,64}$/;
export const CAMERA_ID = /^[a-z0-9-]{1,32}$/;
/** Event and report ids: opaque, but safe as a file name and URL segment. */
export const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const timestamp = z.iso.datetime({ offset: true });
const seq = z.number().int().nonnegative();
const unit = z.number().min(0).max(1);

export const statusSchema = z.looseObject({
  ts: timestamp,
  state: z.enum(['online', 'offline', 'stopped']),
  session: z.number().int().nonnegative(),
  version: z.string().max(64).optional(),
  contract: z.number().int().optional(),
});

export const heartbeatSchema = z.looseObject({
  ts: timestamp,
  seq: seq.optional(),
  uptimeS: z.number().nonnegative(),
});

export const cameraStatusSchema = z.looseObject({
  ts: timestamp,
  camera: z.string().regex(CAMERA_ID),
  state: z.enum(['online', 'offline', 'degraded']),
  // Reasons may grow with the contract: any short word is shown as sent.
  reason: z.string().max(32).nullable(),
  since: timestamp,
  detail: z.string().max(500).optional(),
});

export const eventSchema = z.looseObject({
  ts: timestamp,
  id: z.string().regex(ITEM_ID),
  type: z.enum(['new', 'update', 'end']),
  camera: z.string().regex(CAMERA_ID),
  label: z.string().min(1).max(32),
  score: unit,
  box: z.tuple([unit, unit, unit, unit]),
  zones: z.array(z.string().max(64)).max(64).default([]),
  startedAt: timestamp,
  endedAt: timestamp.optional(),
  thumbnail: z.boolean().default(false),
  // Hosts older than the alert/quiet fields alerted on every event they sent.
  alert: z.boolean().default(true),
  quiet: z.enum(['cooldown', 'disarmed', 'rate']).optional(),
  reason: z.enum(['gone', 'shutdown']).optional(),
  seq,
  historical: z.boolean().optional(),
});

export const healthSchema = z.looseObject({
  ts: timestamp,
  id: z.string().regex(ITEM_ID),
  kind: z.string().min(1).max(64),
  state: z.enum(['raised', 'cleared']),
  subject: z.string().min(1).max(256),
  severity: z.enum(['info', 'warning', 'critical']),
  message: z.string().max(1000),
  details: z.record(z.string(), z.unknown()).optional(),
  seq,
  historical: z.boolean().optional(),
});

export const modelSchema = z.looseObject({
  ts: timestamp,
  installed: z.looseObject({ id: z.string().max(128), version: z.number().int(), sha256: z.string().max(128) }).nullable(),
  update: z
    .looseObject({
      state: z.enum(['downloading', 'verifying', 'testing', 'active', 'failed', 'rolled_back']),
      version: z.number().int().optional(),
      progress: unit.optional(),
      error: z.string().max(1000).optional(),
    })
    .optional(),
});

export const patrolSchema = z.looseObject({
  ts: timestamp,
  id: z.string().regex(ITEM_ID),
});

export type StatusMessage = z.infer<typeof statusSchema>;
export type HeartbeatMessage = z.infer<typeof heartbeatSchema>;
export type CameraStatusMessage = z.infer<typeof cameraStatusSchema>;
export type EventMessage = z.infer<typeof eventSchema>;
export type HealthMessage = z.infer<typeof healthSchema>;
export type ModelMessage = z.infer<typeof modelSchema>;
export type PatrolMessage = z.infer<typeof patrolSchema>;

/** Largest JPEG the station keeps (thumbnails and contact sheets). */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** A JPEG starts with SOI and a marker; anything else on an image topic is refused. */
export function isJpeg(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}
