/**
 * `minwang console --json`: one JSON object per received message, for piping. Each line says
 * what the station made of the message (`outcome`, `delayed`), so an integrator sees the
 * console's logic, not just the raw traffic.
 */
import type { Received } from '../subscriber.js';

export interface JsonLine {
  topic: string;
  receivedAt: string;
  retained: boolean;
  kind: string;
  host?: string;
  outcome?: string;
  delayed?: boolean;
  payload?: unknown;
  bytes?: number;
  saved?: string;
  error?: string;
}

export function jsonLine(received: Received, saved?: string): JsonLine {
  const base = { topic: received.topic, receivedAt: received.delivery.receivedAt.toISOString(), retained: received.delivery.retained };
  const { parsed, result } = received;
  if (!parsed.ok) return { ...base, kind: 'invalid', error: parsed.error, bytes: received.bytes };
  const message = parsed.message;
  const line: JsonLine = { ...base, kind: message.kind, host: message.host };
  if (result !== undefined) line.outcome = result.outcome;
  if (result?.delayed !== undefined) line.delayed = result.delayed;
  if ('payload' in message) line.payload = message.payload;
  if ('jpeg' in message) line.bytes = message.jpeg.length;
  if (message.kind === 'thumbnail') line.payload = { eventId: message.eventId };
  if (message.kind === 'frame') {
    const { jpeg, ...frame } = message.frame;
    line.payload = { eventId: message.eventId, ...frame };
    line.bytes = jpeg.length;
  }
  if (message.kind === 'patrolSheet') line.payload = { reportId: message.reportId };
  if (message.kind === 'clipChunk') line.payload = { eventId: message.eventId, offset: message.offset, length: message.length, clipBytes: message.clipBytes };
  if (message.kind === 'command') line.payload = { op: message.op, response: message.response };
  if (saved !== undefined) line.saved = saved;
  return line;
}
