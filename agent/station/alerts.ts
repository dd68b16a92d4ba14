/**
 * The alert feed: one entry per tracked object (host + event id), merged from its
 * new/update/end messages in whatever order they arrive, kept in time order.
 */
import type { ClipInfo } from '../link/contract/v1.js';
import type { EventMessage } from './schemas.js';

export interface Acknowledgement {
  by: string;
  at: string;
}

export interface AlertEntry {
  /** `<host>/<event id>`: unique across the station. */
  key: string;
  host: string;
  id: string;
  camera: string;
  label: string;
  /** Score of the newest message; `maxScore` is the best seen. */
  score: number;
  maxScore: number;
  box: [number, number, number, number];
  zones: string[];
  startedAt: string;
  /**
   * What the feed is ordered by: the host's `startedAt`, but never later than a few minutes after
   * the station received it, so a host with a wrong (or hostile) clock cannot push real alerts out.
   */
  sortAt: string;
  endedAt: string | null;
  /** Type, time and seq of the newest message merged (by seq). */
  type: 'new' | 'update' | 'end';
  ts: string;
  seq: number;
  /** The host announced a thumbnail for this event. */
  thumbnail: boolean;
  /** The station should ring for it; false: in the record only (`quiet` says why). */
  alert: boolean;
  quiet: 'cooldown' | 'disarmed' | 'rate' | null;
  /** Some message of it came late: `historical`, or behind a newer seq from the same host. */
  delayed: boolean;
  ack: Acknowledgement | null;
  /** The event's MP4 on its host, as its `end` announced it (fetched on demand: docs/clips.md). */
  clip?: ClipInfo;
}

export function alertKey(host: string, id: string): string {
  return `${host}/${id}`;
}

/** Host times more than this ahead of the station's arrival time are clamped to it. */
export const MAX_AHEAD_MS = 5 * 60_000;

/** The host's time, clamped to arrival + MAX_AHEAD_MS. */
export function clampedTime(hostTime: string, receivedAt: Date): string {
  const limit = receivedAt.getTime() + MAX_AHEAD_MS;
  const at = Date.parse(hostTime);
  return Number.isFinite(at) && at <= limit ? hostTime : new Date(receivedAt.getTime()).toISOString();
}

export function newAlert(host: string, message: EventMessage, delayed: boolean, receivedAt: Date): AlertEntry {
  return {
    key: alertKey(host, message.id),
    host,
    id: message.id,
    camera: message.camera,
    label: message.label,
    score: message.score,
    maxScore: message.score,
    box: message.box,
    zones: message.zones,
    startedAt: message.startedAt,
    sortAt: clampedTime(message.startedAt, receivedAt),
    endedAt: message.endedAt ?? null,
    type: message.type,
    ts: message.ts,
    seq: message.seq,
    thumbnail: message.thumbnail,
    alert: message.alert,
    quiet: message.quiet ?? null,
    delayed,
    ack: null,
    ...(message.clip === undefined ? {} : { clip: message.clip }),
  };
}

/**
 * Folds one more message into an entry. Merging is order-independent: the newest seq decides
 * the current fields, the start is the earliest seen, the end and the best score stick.
 */
export function mergeAlert(entry: AlertEntry, message: EventMessage, delayed: boolean, receivedAt: Date): AlertEntry {
  const newer = message.seq > entry.seq;
  const merged: AlertEntry = {
    ...entry,
    startedAt: earlier(entry.startedAt, message.startedAt),
    sortAt: earlier(entry.sortAt, clampedTime(message.startedAt, receivedAt)),
    endedAt: message.endedAt ?? entry.endedAt,
    maxScore: Math.max(entry.maxScore, message.score),
    thumbnail: entry.thumbnail || message.thumbnail,
    alert: entry.alert || message.alert,
    quiet: entry.alert || message.alert ? null : entry.quiet ?? message.quiet ?? null,
    delayed: entry.delayed || delayed,
  };
  const clip = message.clip ?? entry.clip;
  if (clip !== undefined) merged.clip = clip;
  if (!newer) return merged;
  return { ...merged, camera: message.camera, label: message.label, score: message.score, box: message.box, zones: message.zones, type: message.type, ts: message.ts, seq: message.seq };
}

function earlier(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}

/** Waiting for an operator: an alerting event nobody has acknowledged. */
export function isUnacknowledged(entry: AlertEntry): boolean {
  return entry.alert && entry.ack === null;
}

/** Newest first by (clamped) start time; ties broken by key so the order is stable. */
export function compareAlerts(a: Pick<AlertEntry, 'sortAt' | 'key'>, b: Pick<AlertEntry, 'sortAt' | 'key'>): number {
  return Date.parse(b.sortAt) - Date.parse(a.sortAt) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * The entry to drop when over the limit: a quiet or acknowledged one before an open alert (one that
 * rings and nobody has acknowledged: it must not leave the operator's list while others can), and
 * among those the oldest of the host holding the most, so one host flooding the feed only pushes out
 * its own entries once it holds more than any other. Entries without `alert` (the SQLite store's
 * prune) count as not open. `sorted` is newest first.
 */
export function evictionIndex(sorted: readonly (Pick<AlertEntry, 'host'> & Partial<Pick<AlertEntry, 'alert' | 'ack'>>)[]): number {
  const open = (e: Partial<Pick<AlertEntry, 'alert' | 'ack'>>) => e.alert === true && e.ack === null;
  const anyClosed = sorted.some((e) => !open(e));
  const candidate = (e: (typeof sorted)[number]) => !anyClosed || !open(e);
  const counts = new Map<string, number>();
  for (const e of sorted) if (candidate(e)) counts.set(e.host, (counts.get(e.host) ?? 0) + 1);
  let biggest = '';
  let most = -1;
  for (const [host, n] of counts) if (n > most) [biggest, most] = [host, n];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const e = sorted[i];
    if (e !== undefined && e.host === biggest && candidate(e)) return i;
  }
  return sorted.length - 1;
}

/** Entries kept sorted newest first, at most `limit`; over it, quiet and acknowledged ones go first, the biggest host's oldest. */
export class AlertFeed {
  private readonly byKey = new Map<string, AlertEntry>();
  private sorted: AlertEntry[] = [];

  constructor(private readonly limit: number) {}

  get(key: string): AlertEntry | undefined {
    return this.byKey.get(key);
  }

  list(): readonly AlertEntry[] {
    return this.sorted;
  }

  /** Stores `entry` (new or replacing its key); returns false when it fell off the end at once. */
  put(entry: AlertEntry): boolean {
    if (this.byKey.has(entry.key)) this.sorted = this.sorted.filter((e) => e.key !== entry.key);
    this.byKey.set(entry.key, entry);
    this.sorted.splice(this.insertionIndex(entry), 0, entry);
    while (this.sorted.length > this.limit) {
      const [dropped] = this.sorted.splice(evictionIndex(this.sorted), 1);
      if (dropped !== undefined) this.byKey.delete(dropped.key);
    }
    return this.byKey.has(entry.key);
  }

  private insertionIndex(entry: AlertEntry): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compareAlerts(this.sorted[mid]!, entry) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
