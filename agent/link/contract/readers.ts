/**
 * How a v1 reader (the station) parses what hosts send: the payload schemas of `payloads.ts`, made
 * lenient only where an older or newer host must still be read. Unknown extra fields are kept (a
 * newer agent reaches an older console); fields older hosts did not send get the meaning they had
 * (`alert` absent = it alerted; `zones` absent = none); enumerations that grow with the contract
 * (fault reasons, health kinds, labels) accept any short word, shown as sent.
 */
import { z } from 'zod';
import {
  cameraStatusFields, eventBodyFields, healthBodyFields, heartbeatFields, modelFields, patrolFields, sequencedFields, statusFields,
} from './payloads.js';
import { eventClipAnswerSchema } from './commands.js';
import { eventFrameSchema } from './payloads.js';

const word = z.string().min(1).max(64);

export const statusReader = z.looseObject({
  ...statusFields,
  version: statusFields.version.optional(),
  contract: z.int().optional(),
});

export const heartbeatReader = z.looseObject({
  ts: heartbeatFields.ts,
  seq: heartbeatFields.seq.optional(),
  uptimeS: heartbeatFields.uptimeS,
});

export const cameraStatusReader = z.looseObject({
  ...cameraStatusFields,
  reason: z.string().max(32).nullable(),
});

export const eventReader = z.looseObject({
  ...eventBodyFields,
  ...sequencedFields,
  label: z.string().min(1).max(32),
  zones: z.array(z.string().min(1).max(64)).max(64).default([]),
  thumbnail: z.boolean().default(false),
  // Hosts older than the alert/quiet fields alerted on every event they sent.
  alert: z.boolean().default(true),
});

export const healthReader = z.looseObject({
  ...healthBodyFields,
  ...sequencedFields,
  kind: word,
});

export const modelReader = z.looseObject({
  ...modelFields,
  installed: z.looseObject({ id: z.string().max(128), version: z.int(), sha256: z.string().max(128) }).nullable(),
  update: z.looseObject({ ...modelFields.update.unwrap().shape }).optional(),
});

export const patrolReader = z.looseObject({ ts: patrolFields.ts, id: patrolFields.id });

/** A pushed clip chunk (events/<id>/clip) and the `events/clip` answer: checked in full, extra fields kept. */
export const clipChunkReader = z.looseObject(eventClipAnswerSchema.shape);

/** An alerting event's whole picture (events/<id>/frame): checked in full, extra fields kept. */
export const eventFrameReader = z.looseObject(eventFrameSchema.shape);

export type StatusMessage = z.infer<typeof statusReader>;
export type HeartbeatMessage = z.infer<typeof heartbeatReader>;
export type CameraStatusMessage = z.infer<typeof cameraStatusReader>;
export type EventMessage = z.infer<typeof eventReader>;
export type HealthMessage = z.infer<typeof healthReader>;
export type ModelMessage = z.infer<typeof modelReader>;
export type PatrolMessage = z.infer<typeof patrolReader>;
