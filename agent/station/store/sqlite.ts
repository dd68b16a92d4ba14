/**
 * The embedded engine (the default, nothing to install): one SQLite file (better-sqlite3) for one
 * console. It keeps the newest `keep` events (each host a fair share, as the feed does) with their
 * thumbnails and acknowledgements, and raised health, so a restarted console shows the same view.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { clipInfoSchema, type ClipInfo } from '../../link/contract/v1.js';
import { alertKey, clampedTime, evictionIndex, mergeAlert, newAlert, type Acknowledgement, type AlertEntry } from '../alerts.js';
import { MAX_HEALTH_KEYS_PER_HOST, healthEntry, type HealthEntry } from '../health.js';
import type { Delivery, EventFrameView, StationMessage } from '../messages.js';
import type { EventMessage, HealthMessage } from '../schemas.js';
import { encodeCursor, type EventPage, type EventQuery } from './search.js';
import { SEQ_MEMORY, type RecordOutcome, type Restored, type StationStore, type StoreChange } from './store.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, started_at TEXT NOT NULL, entry TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_at);
  CREATE TABLE IF NOT EXISTS thumbnails (key TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS frames (key TEXT PRIMARY KEY, jpeg BLOB NOT NULL, box TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, captured_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS acks (key TEXT PRIMARY KEY, by TEXT NOT NULL, at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS event_messages (key TEXT NOT NULL, host TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq));
  CREATE INDEX IF NOT EXISTS event_messages_host_seq ON event_messages (host, seq);
  CREATE TABLE IF NOT EXISTS health (key TEXT PRIMARY KEY, host TEXT NOT NULL, ts TEXT NOT NULL, raised INTEGER NOT NULL, entry TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS health_messages (host TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (host, id, seq));
`;

const storedAlert = z.object({
  key: z.string(), host: z.string(), id: z.string(), camera: z.string(), label: z.string(),
  score: z.number(), maxScore: z.number(), box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  zones: z.array(z.string()), startedAt: z.string(), sortAt: z.string().optional(), endedAt: z.string().nullable(),
  type: z.enum(['new', 'update', 'end']), ts: z.string(), seq: z.number(), thumbnail: z.boolean(), delayed: z.boolean(),
  // Stored before events carried alert/quiet: every event alerted.
  alert: z.boolean().default(true), quiet: z.enum(['cooldown', 'disarmed', 'rate']).nullable().default(null),
  clip: clipInfoSchema.optional(),
});

/** Prune to `keep` events every this many writes. */
const PRUNE_EVERY = 200;
/** Health messages remembered for recognising duplicates. */
const HEALTH_MESSAGES_KEPT = 10_000;

export class SqliteStore implements StationStore {
  readonly engine = 'sqlite';
  private readonly db: Database.Database;
  private writes = 0;

  constructor(path: string, private readonly keep: number, private readonly logger: Logger) {
    if (path !== ':memory:') {
      // Alerts, pictures and operators' names: readable by the console's user only. SQLite gives
      // its -wal and -shm files the database file's mode, so creating that one 0600 covers all three.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    }
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
  }

  record(message: StationMessage, delivery: Delivery): Promise<RecordOutcome> {
    return Promise.resolve(this.recordNow(message, delivery));
  }

  /** One transaction, one fsync (synchronous = FULL) for the whole batch: each message's own is a savepoint in it. */
  recordAll(batch: readonly { message: StationMessage; delivery: Delivery }[]): Promise<void> {
    this.db.transaction(() => {
      for (const { message, delivery } of batch) this.recordNow(message, delivery);
    })();
    return Promise.resolve();
  }

  private recordNow(message: StationMessage, delivery: Delivery): RecordOutcome {
    switch (message.kind) {
      case 'event': return this.recordEvent(message.host, message.payload, delivery);
      case 'thumbnail': return this.recordThumbnail(alertKey(message.host, message.eventId), message.jpeg);
      case 'health': return this.recordHealth(message.host, message.payload);
      case 'frame': return this.recordFrame(alertKey(message.host, message.eventId), message.frame);
      // Host and camera state is retained by the broker: one console rebuilds it on connect.
      default: return 'ignored';
    }
  }

  /** The first acknowledgement wins; durable before it returns (the operator's click survives a crash). */
  acknowledge(key: string, ack: Acknowledgement): Promise<Acknowledgement | undefined> {
    if (this.db.prepare('SELECT 1 FROM alerts WHERE key = ?').get(key) === undefined) return Promise.resolve(undefined);
    this.db.prepare('INSERT OR IGNORE INTO acks (key, by, at) VALUES (?, ?, ?)').run(key, ack.by, ack.at);
    return Promise.resolve(this.db.prepare('SELECT by, at FROM acks WHERE key = ?').get(key) as Acknowledgement);
  }

  load(limits: { alerts: number; thumbnailBytes: number }): Promise<Restored> {
    this.prune();
    const alerts = (this.db.prepare('SELECT key, entry FROM alerts ORDER BY started_at DESC').all() as { key: string; entry: string }[])
      .map((row) => this.parse(row.key, row.entry))
      .filter((entry): entry is AlertEntry => entry !== undefined);
    while (alerts.length > limits.alerts) alerts.splice(evictionIndex(alerts), 1);
    const health = (this.db.prepare('SELECT entry FROM health WHERE raised = 1 ORDER BY ts DESC').all() as { entry: string }[]).map((r) => JSON.parse(r.entry) as HealthEntry);
    const seqs = new Map<string, number[]>();
    const rows = this.db.prepare('SELECT host, seq FROM event_messages UNION SELECT host, seq FROM health_messages ORDER BY seq DESC').all() as { host: string; seq: number }[];
    for (const { host, seq } of rows) {
      const list = seqs.get(host) ?? [];
      if (list.length < SEQ_MEMORY.perHost) seqs.set(host, [...list, seq]);
    }
    return Promise.resolve({ alerts, thumbnails: this.loadThumbnails(alerts, limits.thumbnailBytes), health, seqs });
  }

  alert(key: string): Promise<AlertEntry | undefined> {
    const row = this.db.prepare('SELECT key, entry FROM alerts WHERE key = ?').get(key) as { key: string; entry: string } | undefined;
    return Promise.resolve(row === undefined ? undefined : this.parse(row.key, row.entry));
  }

  async alerts(keys: readonly string[]): Promise<AlertEntry[]> {
    const found = await Promise.all(keys.map((key) => this.alert(key)));
    return found.filter((e): e is AlertEntry => e !== undefined);
  }

  health(key: string): Promise<HealthEntry | undefined> {
    const row = this.db.prepare('SELECT entry FROM health WHERE key = ?').get(key) as { entry: string } | undefined;
    return Promise.resolve(row === undefined ? undefined : JSON.parse(row.entry) as HealthEntry);
  }

  thumbnail(host: string, id: string): Promise<Buffer | undefined> {
    const row = this.db.prepare('SELECT jpeg FROM thumbnails WHERE key = ?').get(alertKey(host, id)) as { jpeg: Buffer } | undefined;
    return Promise.resolve(row?.jpeg);
  }

  frame(host: string, id: string): Promise<EventFrameView | undefined> {
    const row = this.db.prepare('SELECT jpeg, box, width, height, captured_at FROM frames WHERE key = ?').get(alertKey(host, id)) as
      { jpeg: Buffer; box: string; width: number; height: number; captured_at: string } | undefined;
    return Promise.resolve(row === undefined ? undefined : { jpeg: row.jpeg, box: JSON.parse(row.box) as EventFrameView['box'], width: row.width, height: row.height, capturedAt: row.captured_at });
  }

  /** The clip the event's `end` announced (kept in the event's entry). */
  clip(host: string, id: string): Promise<ClipInfo | undefined> {
    return this.alert(alertKey(host, id)).then((entry) => entry?.clip);
  }

  /** At most `keep` rows: the filters run over the JSON of each, newest first by the indexed start time. */
  search(query: EventQuery): Promise<EventPage> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (sql: string, ...values: (string | number)[]) => {
      where.push(sql);
      args.push(...values);
    };
    if (query.host !== undefined) add("json_extract(entry, '$.host') = ?", query.host);
    if (query.camera !== undefined) add("json_extract(entry, '$.camera') = ?", query.camera);
    if (query.label !== undefined) add("json_extract(entry, '$.label') = ?", query.label);
    if (query.alert !== undefined) add("coalesce(json_extract(entry, '$.alert'), 1) = ?", query.alert ? 1 : 0);
    if (query.from !== undefined) add('started_at >= ?', query.from.toISOString());
    if (query.to !== undefined) add('started_at < ?', query.to.toISOString());
    if (query.after !== undefined) add('(started_at < ? OR (started_at = ? AND key < ?))', query.after.sortAt, query.after.sortAt, query.after.key);
    const rows = this.db.prepare(`SELECT key, entry, EXISTS (SELECT 1 FROM thumbnails t WHERE t.key = alerts.key) AS thumb FROM alerts
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`} ORDER BY started_at DESC, key DESC LIMIT ?`).all(...args, query.limit + 1) as { key: string; entry: string; thumb: number }[];
    const events = rows.slice(0, query.limit).flatMap((r) => {
      const entry = this.parse(r.key, r.entry);
      return entry === undefined ? [] : [{ ...entry, hasThumbnail: r.thumb === 1 }];
    });
    const last = events.at(-1);
    return Promise.resolve({ events, next: rows.length > query.limit && last !== undefined ? encodeCursor(last) : null });
  }

  /** One console per SQLite file: nothing else writes to it. */
  watch(_listener: (change: StoreChange) => void): () => void {
    return () => undefined;
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  private recordEvent(host: string, event: EventMessage, delivery: Delivery): RecordOutcome {
    const key = alertKey(host, event.id);
    return this.db.transaction((): RecordOutcome => {
      if (this.db.prepare('INSERT OR IGNORE INTO event_messages (key, host, seq) VALUES (?, ?, ?)').run(key, host, event.seq).changes === 0) return 'duplicate';
      const newer = this.db.prepare('SELECT 1 FROM event_messages WHERE host = ? AND seq > ? LIMIT 1').get(host, event.seq) !== undefined;
      const delayed = event.historical === true || newer;
      const existing = this.rawAlert(key);
      const entry = existing === undefined ? newAlert(host, event, delayed, delivery.receivedAt) : mergeAlert(existing, event, delayed, delivery.receivedAt);
      this.saveAlert(entry);
      return 'stored';
    })();
  }

  private rawAlert(key: string): AlertEntry | undefined {
    const row = this.db.prepare('SELECT key, entry FROM alerts WHERE key = ?').get(key) as { key: string; entry: string } | undefined;
    return row === undefined ? undefined : this.parse(row.key, row.entry);
  }

  private saveAlert(entry: AlertEntry): void {
    // Sorted as text: stored in one format (toISOString) so that order is time order.
    this.db.prepare('INSERT INTO alerts (key, started_at, entry) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET started_at = excluded.started_at, entry = excluded.entry')
      .run(entry.key, new Date(entry.sortAt).toISOString(), JSON.stringify({ ...entry, ack: undefined }));
    this.wrote();
  }

  private recordThumbnail(key: string, jpeg: Buffer): RecordOutcome {
    const old = this.db.prepare('SELECT jpeg FROM thumbnails WHERE key = ?').get(key) as { jpeg: Buffer } | undefined;
    if (old?.jpeg.equals(jpeg) === true) return 'duplicate';
    this.db.prepare('INSERT OR REPLACE INTO thumbnails (key, jpeg) VALUES (?, ?)').run(key, jpeg);
    this.wrote();
    return 'stored';
  }

  /** One whole picture per event: the first one stays (a redelivery changes nothing). */
  private recordFrame(key: string, frame: EventFrameView): RecordOutcome {
    const written = this.db.prepare('INSERT OR IGNORE INTO frames (key, jpeg, box, width, height, captured_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key, frame.jpeg, JSON.stringify(frame.box), frame.width, frame.height, frame.capturedAt);
    if (written.changes === 0) return 'duplicate';
    this.wrote();
    return 'stored';
  }

  private recordHealth(host: string, health: HealthMessage): RecordOutcome {
    return this.db.transaction((): RecordOutcome => {
      if (this.db.prepare('INSERT OR IGNORE INTO health_messages (host, id, seq) VALUES (?, ?, ?)').run(host, health.id, health.seq).changes === 0) return 'duplicate';
      const newer = this.db.prepare('SELECT 1 FROM event_messages WHERE host = ? AND seq > ? LIMIT 1').get(host, health.seq) !== undefined;
      const entry = healthEntry(host, health, health.historical === true || newer);
      const existing = this.db.prepare('SELECT ts FROM health WHERE key = ?').get(entry.key) as { ts: string } | undefined;
      if (existing === undefined && (this.db.prepare('SELECT count(*) AS n FROM health WHERE host = ?').get(host) as { n: number }).n >= MAX_HEALTH_KEYS_PER_HOST) return 'ignored';
      if (existing !== undefined && Date.parse(existing.ts) > Date.parse(entry.ts)) return 'ignored';
      this.db.prepare('INSERT OR REPLACE INTO health (key, host, ts, raised, entry) VALUES (?, ?, ?, ?, ?)').run(entry.key, host, entry.ts, entry.state === 'raised' ? 1 : 0, JSON.stringify(entry));
      this.db.prepare('DELETE FROM health_messages WHERE rowid <= (SELECT max(rowid) FROM health_messages) - ?').run(HEALTH_MESSAGES_KEPT);
      return 'stored';
    })();
  }

  private loadThumbnails(alerts: readonly AlertEntry[], budget: number): Map<string, Buffer> {
    const thumbnails = new Map<string, Buffer>();
    const size = this.db.prepare('SELECT length(jpeg) AS bytes FROM thumbnails WHERE key = ?');
    const read = this.db.prepare('SELECT jpeg FROM thumbnails WHERE key = ?');
    let bytes = 0;
    for (const alert of [...alerts].sort((a, b) => Date.parse(b.sortAt) - Date.parse(a.sortAt))) {
      const found = size.get(alert.key) as { bytes: number } | undefined;
      if (found === undefined || bytes + found.bytes > budget) continue;
      bytes += found.bytes;
      thumbnails.set(alert.key, (read.get(alert.key) as { jpeg: Buffer }).jpeg);
    }
    return thumbnails;
  }

  private parse(key: string, text: string): AlertEntry | undefined {
    try {
      const stored = storedAlert.parse(JSON.parse(text));
      const ack = this.db.prepare('SELECT by, at FROM acks WHERE key = ?').get(key) as Acknowledgement | undefined;
      // Rows from before `sortAt` existed: a start time in the future is clamped to now.
      return { ...stored, sortAt: stored.sortAt ?? clampedTime(stored.startedAt, new Date()), ack: ack === undefined ? null : { by: ack.by, at: ack.at } };
    } catch (err) {
      this.logger.warn({ key, err }, 'skipped an unreadable stored alert');
      return undefined;
    }
  }

  private wrote(): void {
    this.writes += 1;
    if (this.writes % PRUNE_EVERY === 0) this.prune();
  }

  /** Keeps `keep` events as the feed does (each host a fair share, newest first) and what belongs to them. */
  prune(): void {
    const rows = this.db.prepare('SELECT key, started_at AS sortAt FROM alerts ORDER BY started_at DESC, key').all() as { key: string; sortAt: string }[];
    const kept = rows.map((r) => ({ key: r.key, host: r.key.slice(0, r.key.indexOf('/')) }));
    while (kept.length > this.keep) kept.splice(evictionIndex(kept), 1);
    const keep = new Set(kept.map((k) => k.key));
    const drop = this.db.prepare('DELETE FROM alerts WHERE key = ?');
    this.db.transaction(() => {
      for (const row of rows) if (!keep.has(row.key)) drop.run(row.key);
      this.db.prepare('DELETE FROM acks WHERE key NOT IN (SELECT key FROM alerts)').run();
      this.db.prepare('DELETE FROM event_messages WHERE key NOT IN (SELECT key FROM alerts)').run();
      // A thumbnail may come before its event: only drop orphans once the feed has moved on.
      this.db.prepare('DELETE FROM thumbnails WHERE key NOT IN (SELECT key FROM alerts) AND rowid < (SELECT max(rowid) - ? FROM thumbnails)').run(PRUNE_EVERY);
      this.db.prepare('DELETE FROM frames WHERE key NOT IN (SELECT key FROM alerts) AND rowid < (SELECT max(rowid) - ? FROM frames)').run(PRUNE_EVERY);
    })();
  }
}
