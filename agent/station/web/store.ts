/**
 * What the web console remembers across restarts (SQLite via better-sqlite3): the alert feed,
 * its thumbnails and who acknowledged what. MQTT events are not retained, so without this a
 * restarted console would show an empty feed and forget every acknowledgement.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { clampedTime, evictionIndex, type Acknowledgement, type AlertEntry } from '../alerts.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, started_at TEXT NOT NULL, entry TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_at);
  CREATE TABLE IF NOT EXISTS thumbnails (key TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS acks (key TEXT PRIMARY KEY, by TEXT NOT NULL, at TEXT NOT NULL);
`;

const storedAlert = z.object({
  key: z.string(), host: z.string(), id: z.string(), camera: z.string(), label: z.string(),
  score: z.number(), maxScore: z.number(), box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  zones: z.array(z.string()), startedAt: z.string(), sortAt: z.string().optional(), endedAt: z.string().nullable(),
  type: z.enum(['new', 'update', 'end']), ts: z.string(), seq: z.number(), thumbnail: z.boolean(), delayed: z.boolean(),
  // Stored before events carried alert/quiet: every event alerted.
  alert: z.boolean().default(true), quiet: z.enum(['cooldown', 'disarmed', 'rate']).nullable().default(null),
});

export interface Restored {
  alerts: AlertEntry[];
  thumbnails: Map<string, Buffer>;
}

/** Prune to `keep` alerts every this many writes. */
const PRUNE_EVERY = 200;

export class ConsoleStore {
  private readonly db: Database.Database;
  private writes = 0;

  /**
   * `thumbnailBudgetBytes`: at start only thumbnails of the alerts kept are read, newest first,
   * up to this many bytes (1000 hostile 4 MiB pictures must not mean 4 GB read at start).
   */
  constructor(path: string, private readonly keep: number, private readonly logger: Logger, private readonly thumbnailBudgetBytes = 64 * 1024 * 1024) {
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

  saveAlert(entry: AlertEntry): void {
    const { ack: _ack, ...rest } = entry;
    this.db.prepare('INSERT INTO alerts (key, started_at, entry) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET started_at = excluded.started_at, entry = excluded.entry')
      .run(entry.key, entry.sortAt, JSON.stringify(rest));
    this.wrote();
  }

  saveThumbnail(key: string, jpeg: Buffer): void {
    this.db.prepare('INSERT OR REPLACE INTO thumbnails (key, jpeg) VALUES (?, ?)').run(key, jpeg);
    this.wrote();
  }

  /** Durable before it returns: the operator's click is not lost to a crash. */
  saveAck(key: string, ack: Acknowledgement): void {
    this.db.prepare('INSERT OR REPLACE INTO acks (key, by, at) VALUES (?, ?, ?)').run(key, ack.by, ack.at);
  }

  load(): Restored {
    const acks = new Map<string, Acknowledgement>();
    for (const row of this.db.prepare('SELECT key, by, at FROM acks').all() as { key: string; by: string; at: string }[]) acks.set(row.key, { by: row.by, at: row.at });
    const alerts: AlertEntry[] = [];
    this.prune();
    const rows = this.db.prepare('SELECT key, entry FROM alerts ORDER BY started_at DESC').all() as { key: string; entry: string }[];
    for (const row of rows) {
      const entry = this.parse(row.key, row.entry);
      if (entry !== undefined) alerts.push({ ...entry, ack: acks.get(entry.key) ?? null });
    }
    return { alerts, thumbnails: this.loadThumbnails(alerts) };
  }

  private loadThumbnails(alerts: readonly AlertEntry[]): Map<string, Buffer> {
    const thumbnails = new Map<string, Buffer>();
    const size = this.db.prepare('SELECT length(jpeg) AS bytes FROM thumbnails WHERE key = ?');
    const read = this.db.prepare('SELECT jpeg FROM thumbnails WHERE key = ?');
    let bytes = 0;
    for (const alert of [...alerts].sort((a, b) => Date.parse(b.sortAt) - Date.parse(a.sortAt))) {
      const found = size.get(alert.key) as { bytes: number } | undefined;
      if (found === undefined || bytes + found.bytes > this.thumbnailBudgetBytes) continue;
      bytes += found.bytes;
      thumbnails.set(alert.key, (read.get(alert.key) as { jpeg: Buffer }).jpeg);
    }
    return thumbnails;
  }

  close(): void {
    this.db.close();
  }

  private parse(key: string, text: string): Omit<AlertEntry, 'ack'> | undefined {
    try {
      const stored = storedAlert.parse(JSON.parse(text));
      // Rows from before `sortAt` existed: a start time in the future is clamped to now.
      return { ...stored, sortAt: stored.sortAt ?? clampedTime(stored.startedAt, new Date()) };
    } catch (err) {
      this.logger.warn({ key, err }, 'skipped an unreadable stored alert');
      return undefined;
    }
  }

  private wrote(): void {
    this.writes += 1;
    if (this.writes % PRUNE_EVERY === 0) this.prune();
  }

  /** Keeps `keep` alerts as the feed does (each host a fair share, newest first) and what belongs to them. */
  prune(): void {
    const rows = this.db.prepare('SELECT key, started_at AS sortAt FROM alerts ORDER BY started_at DESC, key').all() as { key: string; sortAt: string }[];
    const kept = rows.map((r) => ({ key: r.key, host: r.key.slice(0, r.key.indexOf('/')) }));
    while (kept.length > this.keep) kept.splice(evictionIndex(kept), 1);
    const keep = new Set(kept.map((k) => k.key));
    const drop = this.db.prepare('DELETE FROM alerts WHERE key = ?');
    this.db.transaction(() => {
      for (const row of rows) if (!keep.has(row.key)) drop.run(row.key);
      this.db.prepare('DELETE FROM acks WHERE key NOT IN (SELECT key FROM alerts)').run();
      // A thumbnail may come before its event: only drop orphans once the feed has moved on.
      this.db.prepare('DELETE FROM thumbnails WHERE key NOT IN (SELECT key FROM alerts) AND rowid < (SELECT max(rowid) - ? FROM thumbnails)').run(PRUNE_EVERY);
    })();
  }
}
