/**
 * Turns one MQTT message (topic + bytes) into a typed station message, or says why not.
 * The topic grammar mirrors `topic` in agent/link/contract/v1.ts.
 */
import type { z } from 'zod';
import { COMMAND_OP_RE, TOPIC_ROOT } from '../link/contract/v1.js';
import {
  CAMERA_ID, HOST_ID, ITEM_ID, MAX_IMAGE_BYTES, cameraStatusSchema, clipChunkSchema, eventFrameSchema, eventSchema, healthSchema, heartbeatSchema, isJpeg,
  modelSchema, patrolSchema, statusSchema,
  type CameraStatusMessage, type EventMessage, type HealthMessage, type HeartbeatMessage, type ModelMessage, type PatrolMessage,
  type StatusMessage,
} from './schemas.js';

export type StationMessage =
  | { kind: 'status'; host: string; payload: StatusMessage }
  | { kind: 'heartbeat'; host: string; payload: HeartbeatMessage }
  | { kind: 'cameraStatus'; host: string; camera: string; payload: CameraStatusMessage }
  | { kind: 'event'; host: string; payload: EventMessage }
  | { kind: 'thumbnail'; host: string; eventId: string; jpeg: Buffer }
  /** An alerting event's whole picture, with the object's box on it. */
  | { kind: 'frame'; host: string; eventId: string; frame: EventFrameView }
  | { kind: 'health'; host: string; payload: HealthMessage }
  | { kind: 'model'; host: string; payload: ModelMessage }
  | { kind: 'patrol'; host: string; payload: PatrolMessage }
  | { kind: 'patrolSheet'; host: string; reportId: string; jpeg: Buffer }
  /** A pushed chunk of an event's clip (`clips.push`); the clip fetcher keeps the bytes, the state only its place. */
  | { kind: 'clipChunk'; host: string; eventId: string; offset: number; length: number; clipBytes: number }
  /** Commands and their answers: other consoles' business; passed through for `--json`. */
  | { kind: 'command'; host: string; op: string; response: boolean };

/** A stored event frame: the JPEG and where the object is on it. */
export interface EventFrameView {
  jpeg: Buffer;
  box: [number, number, number, number];
  width: number;
  height: number;
  capturedAt: string;
}

export type StationMessageKind = StationMessage['kind'];

export type ParseResult = { ok: true; message: StationMessage } | { ok: false; error: string };

/** Received alongside the message: when, and whether the broker replayed it as retained. */
export interface Delivery {
  receivedAt: Date;
  retained: boolean;
}

export function parseMessage(topic: string, payload: Buffer): ParseResult {
  const levels = topic.split('/');
  const [root, host, ...rest] = levels;
  if (root !== TOPIC_ROOT || host === undefined) return fail('not a minwang topic');
  if (!HOST_ID.test(host)) return fail(`host id ${JSON.stringify(host)} is not [a-z0-9-]{1,64}`);
  const path = rest.join('/');
  switch (path) {
    case 'status': return json(payload, statusSchema, (p) => ({ kind: 'status', host, payload: p }));
    case 'heartbeat': return json(payload, heartbeatSchema, (p) => ({ kind: 'heartbeat', host, payload: p }));
    case 'events': return json(payload, eventSchema, (p) => ({ kind: 'event', host, payload: p }));
    case 'health': return json(payload, healthSchema, (p) => ({ kind: 'health', host, payload: p }));
    case 'model': return json(payload, modelSchema, (p) => ({ kind: 'model', host, payload: p }));
    case 'patrol': return json(payload, patrolSchema, (p) => ({ kind: 'patrol', host, payload: p }));
    default: return parseNested(host, rest, payload);
  }
}

function parseNested(host: string, rest: string[], payload: Buffer): ParseResult {
  const [first, second, third, fourth] = rest;
  if (first === 'camera' && third === 'status' && rest.length === 3 && second !== undefined) {
    if (!CAMERA_ID.test(second)) return fail(`camera id ${JSON.stringify(second)} is not [a-z0-9-]{1,32}`);
    return json(payload, cameraStatusSchema, (p) =>
      p.camera === second ? { kind: 'cameraStatus', host, camera: second, payload: p } : `payload camera ${JSON.stringify(p.camera)} differs from the topic's`);
  }
  if (first === 'events' && third === 'thumbnail' && rest.length === 3 && second !== undefined) {
    return image(second, payload, (jpeg) => ({ kind: 'thumbnail', host, eventId: second, jpeg }));
  }
  if (first === 'events' && third === 'frame' && rest.length === 3 && second !== undefined) {
    if (!ITEM_ID.test(second)) return fail(`id ${JSON.stringify(second)} is not a safe id`);
    if (payload.length > MAX_FRAME_PAYLOAD) return fail(`frame message of ${payload.length} bytes is over ${MAX_FRAME_PAYLOAD}`);
    return json(payload, eventFrameSchema, (p) => {
      if (p.event !== second) return `payload event ${JSON.stringify(p.event)} differs from the topic's`;
      const jpeg = Buffer.from(p.jpegBase64, 'base64');
      if (!isJpeg(jpeg)) return 'jpegBase64 is not a JPEG';
      return { kind: 'frame', host, eventId: second, frame: { jpeg, box: p.box, width: p.width, height: p.height, capturedAt: p.capturedAt } };
    });
  }
  if (first === 'events' && third === 'clip' && rest.length === 3 && second !== undefined) {
    if (!ITEM_ID.test(second)) return fail(`id ${JSON.stringify(second)} is not a safe id`);
    return json(payload, clipChunkSchema, (p) => (p.event === second
      ? { kind: 'clipChunk', host, eventId: second, offset: p.offset, length: p.length, clipBytes: p.clip.bytes }
      : `payload event ${JSON.stringify(p.event)} differs from the topic's`));
  }
  if (first === 'patrol' && third === 'sheet' && rest.length === 3 && second !== undefined) {
    return image(second, payload, (jpeg) => ({ kind: 'patrolSheet', host, reportId: second, jpeg }));
  }
  if (first === 'cmd') return command(host, rest.slice(1));
  return fail(`unknown topic level ${JSON.stringify([first, second, third, fourth].filter((l) => l !== undefined).join('/'))}`);
}

/** `cmd/<op>` or `cmd/<op>/response`, where an op may have several levels (`events/query`). */
function command(host: string, levels: string[]): ParseResult {
  const response = levels.length > 1 && levels.at(-1) === 'response';
  const op = (response ? levels.slice(0, -1) : levels).join('/');
  if (!COMMAND_OP_RE.test(op)) return fail(`command ${JSON.stringify(op)} is not a command name`);
  return { ok: true, message: { kind: 'command', host, op, response } };
}

function json<S extends z.ZodType>(payload: Buffer, schema: S, build: (p: z.infer<S>) => StationMessage | string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(payload.toString('utf8'));
  } catch {
    return fail('payload is not JSON');
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return fail(describeIssues(parsed.error));
  const built = build(parsed.data);
  return typeof built === 'string' ? fail(built) : { ok: true, message: built };
}

function image(id: string, payload: Buffer, build: (jpeg: Buffer) => StationMessage): ParseResult {
  if (!ITEM_ID.test(id)) return fail(`id ${JSON.stringify(id)} is not a safe id`);
  if (payload.length > MAX_IMAGE_BYTES) return fail(`image of ${payload.length} bytes is over ${MAX_IMAGE_BYTES}`);
  if (!isJpeg(payload)) return fail('payload is not a JPEG');
  return { ok: true, message: build(payload) };
}

/** A frame's JSON: a JPEG of at most MAX_IMAGE_BYTES in base64, and a few fields. */
const MAX_FRAME_PAYLOAD = Math.ceil(MAX_IMAGE_BYTES / 3) * 4 + 4096;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? 'payload' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}
