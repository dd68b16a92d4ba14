/**
 * MQTT contract v1: every topic the agent speaks, with its retain flag, QoS and payload type.
 * This module is the single owner; the topic prefix `minwang/<host-id>/` is added only here.
 * `docs/mqtt.md` documents it and a test keeps the two in step.
 */
import { z } from 'zod';
import type { Box, Label } from '../pipeline/types.js';

export const CONTRACT_VERSION = 1;
export const TOPIC_ROOT = 'minwang';

export interface TopicSpec {
  retain: boolean;
  qos: 0 | 1;
  what: string;
}

export const TOPICS = {
  status: { retain: true, qos: 1, what: 'host online/offline/stopped with a session number; offline is the last will' },
  heartbeat: { retain: true, qos: 0, what: 'periodic host, camera, detector, outbox and model summary' },
  cameraStatus: { retain: true, qos: 1, what: 'one camera online/offline/degraded with a reason' },
  events: { retain: false, qos: 1, what: 'tracked-object lifecycle new/update/end' },
  eventThumbnail: { retain: false, qos: 1, what: 'JPEG of an event, cropped, privacy masks applied' },
  health: { retain: false, qos: 1, what: 'health alerts raised and cleared' },
  model: { retain: true, qos: 1, what: 'installed model and update progress' },
  patrol: { retain: false, qos: 1, what: 'the daily patrol report: availability, faults, events, disk trend' },
  patrolSheet: { retain: false, qos: 1, what: 'contact-sheet JPEG of the patrol: one privacy-masked frame per camera' },
  command: { retain: false, qos: 1, what: 'request to the host: {"id", ...params}' },
  commandResponse: { retain: false, qos: 1, what: 'answer: {"id", "status", "data"|"error"}' },
} as const satisfies Record<string, TopicSpec>;

export type TopicKind = keyof typeof TOPICS;

/** An id used as a topic level (event id, report id): no "/", "+", "#", which would change the topic's meaning. */
export const TOPIC_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export const topic = {
  root: (host: string) => `${TOPIC_ROOT}/${host}`,
  status: (host: string) => `${TOPIC_ROOT}/${host}/status`,
  heartbeat: (host: string) => `${TOPIC_ROOT}/${host}/heartbeat`,
  cameraStatus: (host: string, camera: string) => `${TOPIC_ROOT}/${host}/camera/${camera}/status`,
  events: (host: string) => `${TOPIC_ROOT}/${host}/events`,
  eventThumbnail: (host: string, eventId: string) => `${TOPIC_ROOT}/${host}/events/${eventId}/thumbnail`,
  health: (host: string) => `${TOPIC_ROOT}/${host}/health`,
  model: (host: string) => `${TOPIC_ROOT}/${host}/model`,
  patrol: (host: string) => `${TOPIC_ROOT}/${host}/patrol`,
  patrolSheet: (host: string, reportId: string) => `${TOPIC_ROOT}/${host}/patrol/${reportId}/sheet`,
  command: (host: string, op: string) => `${TOPIC_ROOT}/${host}/cmd/${op}`,
  commandResponse: (host: string, op: string) => `${TOPIC_ROOT}/${host}/cmd/${op}/response`,
};

/** ISO 8601 UTC, e.g. 2026-11-29T11:24:21.123Z. */
export type Timestamp = string;

export interface StatusPayload {
  ts: Timestamp;
  state: 'online' | 'offline' | 'stopped';
  /** Grows on every connect, so a stale will (older session) can be told from a live host. */
  session: number;
  version: string;
  contract: typeof CONTRACT_VERSION;
}

export type CameraState = 'online' | 'offline' | 'degraded';
export type CameraFaultReason =
  | 'unreachable' | 'timeout' | 'auth' | 'bad_image' | 'black' | 'frozen' | 'covered' | 'blurred' | 'moved';

export interface CameraStatusPayload {
  ts: Timestamp;
  camera: string;
  state: CameraState;
  reason: CameraFaultReason | null;
  /** When the camera entered this state. */
  since: Timestamp;
  detail?: string;
}

/** Fields the outbox adds to every `events` and `health` message. */
export interface Sequenced {
  /** Per host, +1 per events/health message, persisted across restarts: a gap means loss. */
  seq: number;
  /** Set when the message was delivered late (after an outage). */
  historical?: boolean;
}

export interface EventBody {
  ts: Timestamp;
  /** One id per tracked object, for its whole life. */
  id: string;
  type: 'new' | 'update' | 'end';
  camera: string;
  label: Label;
  score: number;
  box: Box;
  zones: string[];
  startedAt: Timestamp;
  endedAt?: Timestamp;
  /** True when a thumbnail is published on events/<id>/thumbnail. */
  thumbnail: boolean;
  /**
   * Whether the station should ring for this object. Every tracked object is in the record;
   * cooldown, arming windows and the host rate cap only turn `alert` off and say why in `quiet`.
   * Absent in messages from hosts older than this field: read as `true`.
   */
  alert?: boolean;
  /** Why `alert` is false. */
  quiet?: EventQuiet;
  /** On `end`: `gone` (not seen for `endAfter`) or `shutdown` (the agent stopped while it was open). */
  reason?: EventEndReason;
}
export type EventQuiet = 'cooldown' | 'disarmed' | 'rate';
export type EventEndReason = 'gone' | 'shutdown';
export type EventPayload = EventBody & Sequenced;

export type HealthKind =
  | 'camera_offline' | 'camera_degraded' | 'disk_low' | 'disk_readonly' | 'recording_stalled' | 'tamper'
  | 'detector_failure' | 'model_rollback' | 'overheat' | 'clock_unsynchronized'
  | 'camera_power_cycle' | 'camera_power_cycle_failed' | 'event_flood' | 'agent_restarting';

export interface HealthBody {
  ts: Timestamp;
  /** Unique per message, for de-duplication at the station. */
  id: string;
  kind: HealthKind;
  state: 'raised' | 'cleared';
  /** What the alert is about: a camera id, a path, `host`... */
  subject: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  details?: Record<string, unknown>;
}
export type HealthPayload = HealthBody & Sequenced;

export interface HeartbeatPayload {
  ts: Timestamp;
  seq: number;
  uptimeS: number;
  /** Added by the link: the session of the connection it went out on (as in `status`). */
  session?: number;
  /** Added by the link: the store-and-forward queue as it is now. */
  outbox?: OutboxSummary;
  [field: string]: unknown;
}

/** A camera's detection in the heartbeat (`cameras[].detection`): counts since the agent started. */
export interface CameraDetectionSummary {
  /** Frames with motion (or a tracked object) handed to detection. */
  offered: number;
  /** Frames the detector ran on and the tracker saw. */
  detected: number;
  /** Frames replaced by a newer one while detection was busy: never detected. */
  dropped: number;
  /** Capture to tracked, over the camera's recent frames (ms); null before the first. */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

/** The detector's load in the heartbeat (`detector`), over the interval since the last heartbeat. */
export interface DetectorLoadSummary {
  /** Worker threads holding the model. */
  workers: number;
  /** Fraction of the workers' time spent on images, 0..1. */
  utilisation: number;
  /** Model runs (one per crop) per second. */
  inferencesPerS: number;
}

/** The main thread in the heartbeat (`eventLoop`), over the interval since the last heartbeat. */
export interface EventLoopSummary {
  /** How late timers and I/O callbacks ran (ms), 99th percentile and worst. */
  delayP99Ms: number;
  delayMaxMs: number;
  /** Fraction of the time the main thread was busy, 0..1. */
  utilisation: number;
}

export interface OutboxSummary {
  /** Messages queued, not yet acknowledged by the broker. */
  depth: number;
  bytes: number;
  /** Messages dropped because the outbox was full, since the outbox was created, by kind. */
  dropped: { images: number; messages: number };
  /** Age of the oldest queued message, seconds (0 when empty). */
  oldestS: number;
}

export interface PatrolBody {
  ts: Timestamp;
  /** Report id; the contact sheet is published on patrol/<id>/sheet. */
  id: string;
  /** The period the report covers, in seconds (normally 86400). */
  windowS?: number;
  cameras?: PatrolCamera[];
  /** Tracked objects (events of type `new`) per label over the window, all cameras. */
  eventsPerLabel?: Partial<Record<Label, number>>;
  disks?: PatrolDiskTrend[];
  /** Health alerts still raised when the report was made. */
  openAlerts?: { kind: HealthKind; subject: string; severity: HealthBody['severity']; since: Timestamp }[];
  /** Byte size of the contact sheet on patrol/<id>/sheet (one tile per camera, in `cameras` order). */
  sheetBytes?: number;
  [field: string]: unknown;
}

export interface PatrolCamera {
  id: string;
  name: string;
  state: CameraState | 'unknown';
  reason: CameraFaultReason | null;
  /** Share of the window the camera was online, 0..100; null when no status was seen. */
  availabilityPercent: number | null;
  seconds: Record<CameraState | 'unknown', number>;
  faults: { state: 'offline' | 'degraded'; reason: CameraFaultReason | null; count: number; totalS: number }[];
  eventsPerLabel: Partial<Record<Label, number>>;
  /** False when the contact sheet shows "no picture" for this camera. */
  picture: boolean;
}

export interface PatrolDiskTrend {
  path: string;
  freeBytesNow: number;
  freeBytesThen: number;
  then: Timestamp;
  /** Change in free bytes per day; negative means the disk is filling. Null with under an hour of samples. */
  bytesPerDay: number | null;
  daysToFull: number | null;
}

export interface ModelPayload {
  ts: Timestamp;
  installed: { id: string; version: number; sha256: string } | null;
  update?: {
    state: 'downloading' | 'verifying' | 'testing' | 'active' | 'failed' | 'rolled_back';
    version?: number;
    progress?: number;
    error?: string;
  };
}

export interface CommandRequest {
  id: string;
  /** ISO time after which the command must not run. */
  expires?: Timestamp;
  [param: string]: unknown;
}

export type CommandResponse =
  | { id: string; status: 'ok'; data: unknown }
  | { id: string; status: 'error'; error: { code: string; message: string } };

/**
 * Answer `data` of `cmd/snapshot` `{"id", "camera"}`: a fresh frame with privacy masks burned in,
 * base64 in the answer itself so the request and its picture cannot be told apart or lost.
 */
export interface SnapshotAnswer {
  camera: string;
  capturedAt: Timestamp;
  width: number | null;
  height: number | null;
  contentType: 'image/jpeg';
  jpegBase64: string;
}

/** Answer `data` of `cmd/detect/set` `{"id", "camera", "enabled"}`. */
export interface DetectSetAnswer {
  camera: string;
  enabled: boolean;
}
// ---- commands ------------------------------------------------------------------------------

/** Request ids: what the station chose, echoed in the answer. */
export const COMMAND_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
/** Command names: one or more lower-case topic levels (`ping`, `events/query`). */
export const COMMAND_OP_RE = /^[a-z][a-z0-9-]{0,31}(\/[a-z][a-z0-9-]{0,31}){0,3}$/;

const isoTime = z.iso.datetime({ offset: true });

/** The fields every request carries; the rest are the op's parameters, validated by its own schema. */
export const commandEnvelopeSchema = z.object({
  id: z.string().regex(COMMAND_ID_RE, 'must be 1-128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"'),
  expires: isoTime.optional(),
});

export const COMMAND_ERROR_CODES = [
  'bad_request', 'unknown_command', 'expired', 'busy', 'not_found', 'unavailable', 'failed',
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

export const noParamsSchema = z.strictObject({});

export const eventQueryParamsSchema = z.strictObject({
  from: isoTime.optional(),
  to: isoTime.optional(),
  camera: z.string().regex(/^[a-z0-9-]{1,32}$/).optional(),
  label: z.enum(['person', 'ebike']).optional(),
  limit: z.int().min(1).max(1000).default(100),
});
export type EventQueryParams = z.output<typeof eventQueryParamsSchema>;

export const snapshotParamsSchema = z.strictObject({ camera: z.string().regex(/^[a-z0-9-]{1,32}$/) });
export const detectSetParamsSchema = z.strictObject({ camera: z.string().regex(/^[a-z0-9-]{1,32}$/), enabled: z.boolean() });

export const modelInstallParamsSchema = z.strictObject({ url: z.string().min(1).max(2048) });
/** One piece of a bundle sent over MQTT; chunk `index` 0 starts a transfer, each answer acknowledges one. */
export const modelChunkParamsSchema = z.strictObject({
  transfer: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  index: z.int().min(0),
  total: z.int().min(1).max(100_000),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 of this chunk, 64 lowercase hex digits'),
  dataBase64: z.string().max(16 * 1024 * 1024),
});

export interface CommandSpec {
  /** Parameter schema; the envelope (`id`, `expires`) is validated separately. */
  params: z.ZodType;
  what: string;
  /** Which part of the agent answers it. */
  owner: 'link' | 'cameras' | 'health' | 'model';
}

/** The ops of contract v1. Modules register their handlers through `StationLink.registerCommand`. */
export const COMMANDS = {
  ping: { params: noParamsSchema, what: 'liveness: answers with the session and uptime', owner: 'link' },
  rebirth: { params: noParamsSchema, what: 'republishes every retained message (status, heartbeat, cameras, model)', owner: 'link' },
  'events/query': { params: eventQueryParamsSchema, what: 'events from the local event log, oldest first', owner: 'link' },
  'config/get': { params: noParamsSchema, what: 'the running configuration, secrets redacted', owner: 'link' },
  snapshot: { params: snapshotParamsSchema, what: 'publishes a fresh privacy-masked JPEG of a camera', owner: 'cameras' },
  'detect/set': { params: detectSetParamsSchema, what: 'turns detection on or off for a camera', owner: 'cameras' },
  'model/install': { params: modelInstallParamsSchema, what: 'downloads a signed model bundle from an allowed HTTPS origin and installs it', owner: 'model' },
  'model/install/chunk': { params: modelChunkParamsSchema, what: 'one chunk of a signed model bundle sent over MQTT', owner: 'model' },
  'model/rollback': { params: noParamsSchema, what: 'switches back to the previous model', owner: 'model' },
} as const satisfies Record<string, CommandSpec>;

// ---- field lists, for docs/mqtt.md ----------------------------------------------------------

/** Every key of T must be listed (a compile error names the missing ones). */
function allKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> })): readonly string[] => keys;
}

/**
 * The payload fields of each JSON topic. `docs/mqtt.md` must name every one in the topic's
 * section (a test checks), so the docs cannot fall behind the types above.
 */
export const PAYLOAD_FIELDS: Partial<Record<TopicKind, readonly string[]>> = {
  status: allKeys<StatusPayload>()(['ts', 'state', 'session', 'version', 'contract']),
  // Open: the health module adds its own fields; those that describe detection capacity are listed.
  heartbeat: [
    'ts', 'seq', 'session', 'uptimeS', 'outbox', 'cameras', 'detection', 'detector', 'eventLoop',
    ...allKeys<CameraDetectionSummary>()(['offered', 'detected', 'dropped', 'latencyP50Ms', 'latencyP95Ms']),
    ...allKeys<DetectorLoadSummary>()(['workers', 'utilisation', 'inferencesPerS']),
    ...allKeys<EventLoopSummary>()(['delayP99Ms', 'delayMaxMs', 'utilisation']),
  ],
  cameraStatus: allKeys<CameraStatusPayload>()(['ts', 'camera', 'state', 'reason', 'since', 'detail']),
  events: allKeys<EventPayload>()(['ts', 'id', 'type', 'camera', 'label', 'score', 'box', 'zones', 'startedAt', 'endedAt', 'thumbnail', 'alert', 'quiet', 'reason', 'seq', 'historical']),
  health: allKeys<HealthPayload>()(['ts', 'id', 'kind', 'state', 'subject', 'severity', 'message', 'details', 'seq', 'historical']),
  model: allKeys<ModelPayload>()(['ts', 'installed', 'update']),
  patrol: ['ts', 'id'], // open: the patrol report adds its own fields
  command: ['id', 'expires'],
  commandResponse: ['id', 'status', 'data', 'error'],
};

/** Topic patterns with placeholders, as the docs write them. */
export const TOPIC_PATTERNS: Record<TopicKind, string> = {
  status: topic.status('<host>'),
  heartbeat: topic.heartbeat('<host>'),
  cameraStatus: topic.cameraStatus('<host>', '<camera>'),
  events: topic.events('<host>'),
  eventThumbnail: topic.eventThumbnail('<host>', '<event-id>'),
  health: topic.health('<host>'),
  model: topic.model('<host>'),
  patrol: topic.patrol('<host>'),
  patrolSheet: topic.patrolSheet('<host>', '<report-id>'),
  command: topic.command('<host>', '<op>'),
  commandResponse: topic.commandResponse('<host>', '<op>'),
};
