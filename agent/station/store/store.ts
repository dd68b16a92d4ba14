/**
 * Where the station keeps what it received, behind one interface with two engines: SQLite (one
 * file, the embedded default: one console) and PostgreSQL (several consoles, weeks of history).
 * Every write is idempotent: the same message delivered twice is stored once, so an at-least-once
 * broker and several consoles sharing one database can never double an event.
 */
import type { ClipInfo } from '../../link/contract/v1.js';
import type { Acknowledgement, AlertEntry } from '../alerts.js';
import type { HealthEntry } from '../health.js';
import type { Delivery, EventFrameView, StationMessage } from '../messages.js';
import type { EventPage, EventQuery } from './search.js';

export type RecordOutcome =
  /** Written (or it changed what was stored). */
  | 'stored'
  /** This exact message (host, id, seq) was stored before: nothing changed. */
  | 'duplicate'
  /** Older than what is stored, over a per-host bound, or not the store's business (commands). */
  | 'ignored';

/** What changed in the store, so every console (and every page) can refresh it. */
export type StoreChange =
  /** `seq`: of the message stored (absent for an acknowledgement), for every console's seq accounting. */
  | { kind: 'alert'; key: string; seq?: number }
  | { kind: 'thumbnail'; key: string }
  | { kind: 'health'; key: string; seq?: number }
  /** Changes may have been missed (the notification connection was lost and is back): reload. */
  | { kind: 'resync' };

export interface Restored {
  alerts: AlertEntry[];
  thumbnails: Map<string, Buffer>;
  health: HealthEntry[];
  /** Per host, the events/health seqs stored lately, so a restarted console counts only real gaps. */
  seqs: Map<string, number[]>;
}

/** How far back (and how many per host) a restarted console's seq accounting reaches. */
export const SEQ_MEMORY = { hours: 24, perHost: 20_000 } as const;

export interface StationStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Durable when it resolves: the console acknowledges the message to the broker only then. */
  record(message: StationMessage, delivery: Delivery): Promise<RecordOutcome>;
  /** Records messages in their order in one transaction (one commit): all durable when it resolves, none when it rejects. */
  recordAll(batch: readonly { message: StationMessage; delivery: Delivery }[]): Promise<void>;
  /** The first acknowledgement of an event wins; returns the one stored, undefined when no such event. */
  acknowledge(key: string, ack: Acknowledgement): Promise<Acknowledgement | undefined>;
  /** The newest `alerts` events (each host a fair share), their thumbnails within `thumbnailBytes`, and raised health. */
  load(limits: { alerts: number; thumbnailBytes: number }): Promise<Restored>;
  alert(key: string): Promise<AlertEntry | undefined>;
  /** Several events in one read (those that exist, in no particular order): other consoles' changes arrive by the hundred. */
  alerts(keys: readonly string[]): Promise<AlertEntry[]>;
  health(key: string): Promise<HealthEntry | undefined>;
  thumbnail(host: string, id: string): Promise<Buffer | undefined>;
  /** An alerting event's whole picture, with the object's box on it. */
  frame(host: string, id: string): Promise<EventFrameView | undefined>;
  /** The clip an event's `end` announced, undefined when none did. */
  clip(host: string, id: string): Promise<ClipInfo | undefined>;
  search(query: EventQuery): Promise<EventPage>;
  /** Changes made by any console on the same database (PostgreSQL: LISTEN/NOTIFY); SQLite has one console and never calls it. */
  watch(listener: (change: StoreChange) => void): () => void;
  close(): Promise<void>;
}
