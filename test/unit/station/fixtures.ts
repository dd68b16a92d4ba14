import type { CameraStatusPayload, EventPayload, HealthPayload, StatusPayload } from '../../../agent/link/contract/v1.js';
import { topic } from '../../../agent/link/contract/v1.js';
import { parseMessage, type StationMessage } from '../../../agent/station/messages.js';

/** Builds contract v1 payloads the way an agent would publish them. */
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export function status(state: StatusPayload['state'], session: number, seconds = 0): StatusPayload {
  return { ts: at(seconds), state, session, version: '0.1.0', contract: 1 };
}

export function event(id: string, seq: number, overrides: Partial<EventPayload> = {}): EventPayload {
  return {
    ts: at(seq), id, type: 'new', camera: 'gate', label: 'person', score: 0.8, box: [0.1, 0.1, 0.4, 0.9], zones: [],
    startedAt: at(seq), thumbnail: true, seq, ...overrides,
  };
}

export function health(id: string, seq: number, overrides: Partial<HealthPayload> = {}): HealthPayload {
  return {
    ts: at(seq), id, kind: 'camera_offline', state: 'raised', subject: 'gate', severity: 'warning',
    message: 'camera gate does not answer', seq, ...overrides,
  };
}

export function camera(id: string, state: CameraStatusPayload['state'], reason: CameraStatusPayload['reason'], seconds = 0): CameraStatusPayload {
  return { ts: at(seconds), camera: id, state, reason, since: at(seconds) };
}

/** Parses like the subscriber does; fails the test on a payload the station would reject. */
export function msg(topicName: string, payload: unknown): StationMessage {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const parsed = parseMessage(topicName, bytes);
  if (!parsed.ok) throw new Error(`${topicName}: ${parsed.error}`);
  return parsed.message;
}

export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);

export { topic };
