/**
 * What the station knows of one host, and the rules that keep it true when retained and live
 * messages, stale wills and replays arrive in any order.
 */
import type { CameraStatusMessage, HeartbeatMessage, ModelMessage, PatrolMessage, StatusMessage } from './schemas.js';
import { SeqRanges } from './seq-ranges.js';

/** `stale`: says online, but no sign of life for longer than the stale limit. */
export type HostLiveness = 'online' | 'stale' | 'offline' | 'stopped' | 'unknown';

export interface HostRecord {
  id: string;
  status: StatusMessage | null;
  heartbeat: HeartbeatMessage | null;
  /** When the station last had a sign of life (status online or heartbeat). */
  lastSeenAt: Date | null;
  cameras: Map<string, CameraStatusMessage>;
  model: ModelMessage | null;
  patrol: PatrolMessage | null;
  seqs: SeqRanges;
}

export function newHostRecord(id: string): HostRecord {
  return { id, status: null, heartbeat: null, lastSeenAt: null, cameras: new Map(), model: null, patrol: null, seqs: new SeqRanges() };
}

/**
 * Sparkplug-style: a higher session always wins; an older session's message (a will the broker
 * fires late, a stale retained status) never overrides a live one. Within one session, offline
 * and stopped are final: the will was written at connect time, so its `ts` cannot order it.
 */
export function statusSupersedes(incoming: StatusMessage, current: StatusMessage | null): boolean {
  if (current === null || incoming.session > current.session) return true;
  if (incoming.session < current.session) return false;
  return rank(incoming.state) >= rank(current.state);
}

function rank(state: StatusMessage['state']): number {
  return state === 'online' ? 0 : 1;
}

/** Newer or equal by `ts`: a late copy never replaces what is already newer. */
export function notOlder(incoming: { ts: string }, current: { ts: string } | null | undefined): boolean {
  return current === null || current === undefined || Date.parse(incoming.ts) >= Date.parse(current.ts);
}

/**
 * A retained message was stored by the broker at some earlier time: its own `ts` (never in the
 * future) is the best guess of when. A live one is as fresh as its arrival.
 */
export function signOfLifeAt(ts: string, receivedAt: Date, retained: boolean): Date {
  if (!retained) return receivedAt;
  return new Date(Math.min(Date.parse(ts), receivedAt.getTime()));
}

export function liveness(host: HostRecord, now: Date, staleAfterMs: number): HostLiveness {
  const state = host.status?.state;
  if ((state === 'offline' || state === 'stopped') && !heartbeatFromNewerSession(host)) return state;
  if (host.lastSeenAt === null) return 'unknown';
  const fresh = now.getTime() - host.lastSeenAt.getTime() <= staleAfterMs;
  if (state === 'online') return fresh ? 'online' : 'stale';
  return fresh ? 'online' : 'unknown';
}

/**
 * The broker keeps only the last retained status. If that is a late will from an older session,
 * a heartbeat that names a newer `session` is the proof the host is alive.
 */
function heartbeatFromNewerSession(host: HostRecord): boolean {
  const session = host.heartbeat?.['session'];
  return typeof session === 'number' && host.status !== null && session > host.status.session;
}
