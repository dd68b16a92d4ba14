/**
 * The payload of every JSON topic of contract v1, as a runtime schema. The TypeScript types are
 * inferred from these schemas (never declared twice); the agent's link checks every payload
 * against them before queueing, and the station reads with the lenient variants in `readers.ts`.
 */
import { z } from 'zod';
import { cameraId, itemId, zoneName } from './ids.js';

export const CONTRACT_VERSION = 1;

/** ISO 8601 with an offset (the agent always sends UTC, e.g. 2026-11-29T11:24:21.123Z). */
export const timestamp = z.iso.datetime({ offset: true });
const seq = z.int().nonnegative();
const unit = z.number().min(0).max(1);
const count = z.int().nonnegative();

export const LABELS = ['person', 'ebike'] as const;
export const label = z.enum(LABELS);
/** A box in normalised image coordinates: [x1, y1, x2, y2], each 0..1. */
export const box = z.tuple([unit, unit, unit, unit]);

// ---- status -------------------------------------------------------------------------------

export const statusFields = {
  ts: timestamp,
  state: z.enum(['online', 'offline', 'stopped']),
  /** Grows on every connect, so a stale will (older session) can be told from a live host. */
  session: count,
  version: z.string().min(1).max(64),
  contract: z.literal(CONTRACT_VERSION),
};
export const statusSchema = z.strictObject(statusFields);
export type StatusPayload = z.infer<typeof statusSchema>;

// ---- camera/<cam>/status -----------------------------------------------------------------

export const CAMERA_STATES = ['online', 'offline', 'degraded'] as const;
export const CAMERA_FAULT_REASONS = [
  'unreachable', 'timeout', 'auth', 'bad_image', 'black', 'frozen', 'covered', 'blurred', 'moved',
] as const;
export type CameraState = (typeof CAMERA_STATES)[number];
export type CameraFaultReason = (typeof CAMERA_FAULT_REASONS)[number];

export const cameraStatusFields = {
  ts: timestamp,
  camera: cameraId,
  state: z.enum(CAMERA_STATES),
  reason: z.enum(CAMERA_FAULT_REASONS).nullable(),
  /** When the camera entered this state. */
  since: timestamp,
  detail: z.string().max(500).optional(),
};
export const cameraStatusSchema = z.strictObject(cameraStatusFields);
export type CameraStatusPayload = z.infer<typeof cameraStatusSchema>;

// ---- events and health: what the stages hand the link, then what the outbox adds -----------

/** Fields the outbox adds to every `events` and `health` message. */
export const sequencedFields = {
  /** Per host, +1 per events/health message, persisted across restarts: a gap means loss. */
  seq,
  /** Set when the message was delivered late (after an outage). */
  historical: z.boolean().optional(),
};

export const EVENT_QUIET = ['cooldown', 'disarmed', 'rate'] as const;
export const EVENT_END_REASONS = ['gone', 'shutdown'] as const;
export type EventQuiet = (typeof EVENT_QUIET)[number];
export type EventEndReason = (typeof EVENT_END_REASONS)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'sha256, 64 lowercase hex digits');

/** The event's MP4 on the host, on `end` once it is made; fetched with `cmd/events/clip`. */
export const clipInfoSchema = z.strictObject({
  /** At most 4 GiB: `clips.maxDuration` is at most 10 min, 4 GiB of it is over 50 Mbit/s. */
  bytes: z.int().positive().max(2 ** 32),
  durationS: z.number().nonnegative().max(3600),
  sha256: sha256Hex,
});
export type ClipInfo = z.infer<typeof clipInfoSchema>;

/** The long side of an event's whole picture (`events/<id>/frame`), at most. */
export const EVENT_FRAME_LONG_SIDE = 1280;

/**
 * An alerting event's whole picture (`events/<id>/frame`): the frame its thumbnail was cut from,
 * privacy masks burned in, at most 1280 px on the long side, with the object's box on that frame.
 */
export const eventFrameFields = {
  ts: timestamp,
  event: itemId,
  camera: cameraId,
  capturedAt: timestamp,
  /** The object on this frame, normalised 0..1 (the event's own `box` moves with later messages). */
  box,
  width: z.int().positive().max(EVENT_FRAME_LONG_SIDE),
  height: z.int().positive().max(EVENT_FRAME_LONG_SIDE),
  contentType: z.literal('image/jpeg'),
  jpegBase64: z.base64(),
};
export const eventFrameSchema = z.strictObject(eventFrameFields);
export type EventFrame = z.infer<typeof eventFrameSchema>;

export const eventBodyFields = {
  ts: timestamp,
  /** One id per tracked object, for its whole life. */
  id: itemId,
  type: z.enum(['new', 'update', 'end']),
  camera: cameraId,
  label,
  score: unit,
  box,
  /** Names of the configured zones the object stands in. */
  zones: z.array(zoneName).max(32),
  startedAt: timestamp,
  endedAt: timestamp.optional(),
  /** True when a thumbnail is published on events/<id>/thumbnail. */
  thumbnail: z.boolean(),
  /** Whether the station should ring; cooldown, arming and the rate cap turn it off and say why in `quiet`. */
  alert: z.boolean().optional(),
  quiet: z.enum(EVENT_QUIET).optional(),
  /** On `end`: `gone` (not seen for `endAfter`) or `shutdown` (the agent stopped while it was open). */
  reason: z.enum(EVENT_END_REASONS).optional(),
  /** On `end`: the event's clip, when one was made (the `end` waits for it, docs/clips.md). */
  clip: clipInfoSchema.optional(),
};
export const eventBodySchema = z.strictObject(eventBodyFields);
export const eventSchema = z.strictObject({ ...eventBodyFields, ...sequencedFields });
export type EventBody = z.infer<typeof eventBodySchema>;
export type EventPayload = z.infer<typeof eventSchema>;

export const HEALTH_KINDS = [
  'camera_offline', 'camera_degraded', 'disk_low', 'disk_readonly', 'recording_stalled', 'tamper',
  'detector_failure', 'model_rollback', 'overheat', 'clock_unsynchronized',
  'camera_power_cycle', 'camera_power_cycle_failed', 'event_flood', 'agent_restarting',
] as const;
export type HealthKind = (typeof HEALTH_KINDS)[number];
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export const healthBodyFields = {
  ts: timestamp,
  /** Unique per message, for de-duplication at the station. */
  id: itemId,
  kind: z.enum(HEALTH_KINDS),
  state: z.enum(['raised', 'cleared']),
  /** What the alert is about: a camera id, a path, `host`... */
  subject: z.string().min(1).max(256),
  severity: z.enum(SEVERITIES),
  message: z.string().max(1000),
  details: z.record(z.string(), z.unknown()).optional(),
};
export const healthBodySchema = z.strictObject(healthBodyFields);
export const healthSchema = z.strictObject({ ...healthBodyFields, ...sequencedFields });
export type HealthBody = z.infer<typeof healthBodySchema>;
export type HealthPayload = z.infer<typeof healthSchema>;

// ---- heartbeat (open: the health module adds its own fields) -------------------------------

export const outboxSummarySchema = z.strictObject({
  /** Messages queued, not yet acknowledged by the broker. */
  depth: count,
  bytes: count,
  /** Messages dropped because the outbox was full, since the outbox was created, by kind. */
  dropped: z.strictObject({ images: count, messages: count }),
  /** Age of the oldest queued message, seconds (0 when empty). */
  oldestS: z.number().nonnegative(),
});
export type OutboxSummary = z.infer<typeof outboxSummarySchema>;

/** A camera's detection in the heartbeat (`cameras[].detection`): counts since the agent started. */
export const cameraDetectionSummarySchema = z.strictObject({
  /** Frames with motion (or a tracked object) handed to detection. */
  offered: count,
  /** Frames the detector ran on and the tracker saw. */
  detected: count,
  /** Frames replaced by a newer one while detection was busy: never detected. */
  dropped: count,
  /** Capture to tracked, over the camera's recent frames (ms); null before the first. */
  latencyP50Ms: z.number().nonnegative().nullable(),
  latencyP95Ms: z.number().nonnegative().nullable(),
  /** Of the detected frames, those run on fewer, merged crops because detection was not keeping up (`detector.whenBusy`). */
  reduced: count.optional(),
});
export type CameraDetectionSummary = z.infer<typeof cameraDetectionSummarySchema>;

/** A camera's clips in the heartbeat (`cameras[].clips`): what video is held for clips, and clips made since start. */
export const cameraClipsSummarySchema = z.strictObject({
  /** `recording`: an RTSP segment ring on disk; `frames`: the sampled frames in memory. */
  source: z.enum(['recording', 'frames']),
  /** Seconds of video held now (the oldest to the newest); 0 when none. */
  heldS: z.number().nonnegative(),
  /** Recording only: seconds since the newest segment was written (null: none yet). A growing figure means recording stopped. */
  lagS: z.number().nonnegative().nullable().optional(),
  made: count,
  failed: count,
});
export type CameraClipsSummary = z.infer<typeof cameraClipsSummarySchema>;

/** The detector's load in the heartbeat (`detector`), over the interval since the last heartbeat. */
export const detectorLoadSummarySchema = z.strictObject({
  /** Worker threads holding the model. */
  workers: count,
  /** Fraction of the workers' time spent on images, 0..1. */
  utilisation: unit,
  /** Model runs (one per crop) per second. */
  inferencesPerS: z.number().nonnegative(),
});
export type DetectorLoadSummary = z.infer<typeof detectorLoadSummarySchema>;

/** The main thread in the heartbeat (`eventLoop`), over the interval since the last heartbeat. */
export const eventLoopSummarySchema = z.strictObject({
  /** How late timers and I/O callbacks ran (ms), 99th percentile and worst. */
  delayP99Ms: z.number().nonnegative(),
  delayMaxMs: z.number().nonnegative(),
  /** Fraction of the time the main thread was busy, 0..1. */
  utilisation: unit,
});
export type EventLoopSummary = z.infer<typeof eventLoopSummarySchema>;

/** What the heartbeat module hands the link; the link adds `seq`, `session` and `outbox`. */
export const heartbeatBodySchema = z.looseObject({
  ts: timestamp,
  uptimeS: z.number().nonnegative(),
  // Open: `cameras` (each may carry `detection`, a CameraDetectionSummary) and `detector` (with
  // DetectorLoadSummary's fields) are the heartbeat module's own.
  eventLoop: eventLoopSummarySchema.optional(),
});
export type HeartbeatBody = z.infer<typeof heartbeatBodySchema>;
export const heartbeatFields = { ts: timestamp, seq, session: count, uptimeS: z.number().nonnegative(), outbox: outboxSummarySchema };
export const heartbeatSchema = z.looseObject(heartbeatFields);
export type HeartbeatPayload = z.infer<typeof heartbeatSchema>;

// ---- model --------------------------------------------------------------------------------

export const modelFields = {
  ts: timestamp,
  installed: z.strictObject({ id: z.string().min(1).max(128), version: z.int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).nullable(),
  update: z.strictObject({
    state: z.enum(['downloading', 'verifying', 'testing', 'active', 'failed', 'rolled_back']),
    version: z.int().nonnegative().optional(),
    /** Share of the download done, 0..1. */
    progress: unit.optional(),
    error: z.string().max(1000).optional(),
  }).optional(),
};
export const modelSchema = z.strictObject(modelFields);
export type ModelPayload = z.infer<typeof modelSchema>;

// ---- patrol (open: the report may grow) ----------------------------------------------------

const perLabel = z.partialRecord(label, count);
const faultState = z.enum(['offline', 'degraded']);

export const patrolCameraSchema = z.strictObject({
  id: cameraId,
  name: z.string().max(128),
  state: z.enum([...CAMERA_STATES, 'unknown']),
  reason: z.enum(CAMERA_FAULT_REASONS).nullable(),
  /** Share of the window the camera was online, 0..100; null when no status was seen. */
  availabilityPercent: z.number().min(0).max(100).nullable(),
  seconds: z.record(z.enum([...CAMERA_STATES, 'unknown']), z.number().nonnegative()),
  faults: z.array(z.strictObject({ state: faultState, reason: z.enum(CAMERA_FAULT_REASONS).nullable(), count, totalS: z.number().nonnegative() })),
  eventsPerLabel: perLabel,
  /** False when the contact sheet shows "no picture" for this camera. */
  picture: z.boolean(),
});
export type PatrolCamera = z.infer<typeof patrolCameraSchema>;

export const patrolDiskTrendSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  freeBytesNow: count,
  freeBytesThen: count,
  then: timestamp,
  /** Change in free bytes per day; negative means the disk is filling. Null with under an hour of samples. */
  bytesPerDay: z.number().nullable(),
  daysToFull: z.number().nonnegative().nullable(),
});
export type PatrolDiskTrend = z.infer<typeof patrolDiskTrendSchema>;

export const patrolFields = {
  ts: timestamp,
  /** Report id; the contact sheet is published on patrol/<id>/sheet. */
  id: itemId,
  /** The period the report covers, in seconds (normally 86400). */
  windowS: z.number().positive().optional(),
  cameras: z.array(patrolCameraSchema).optional(),
  /** Tracked objects (events of type `new`) per label over the window, all cameras. */
  eventsPerLabel: perLabel.optional(),
  disks: z.array(patrolDiskTrendSchema).optional(),
  /** Health alerts still raised when the report was made. */
  openAlerts: z.array(z.strictObject({ kind: z.enum(HEALTH_KINDS), subject: z.string().max(256), severity: z.enum(SEVERITIES), since: timestamp })).optional(),
  /** Byte size of the contact sheet on patrol/<id>/sheet (one tile per camera, in `cameras` order). */
  sheetBytes: count.optional(),
};
export const patrolSchema = z.looseObject(patrolFields);
export type PatrolBody = z.infer<typeof patrolSchema>;
