/**
 * What the web console remembers across restarts (SQLite via better-sqlite3): the alert feed,
 * its thumbnails and who acknowledged what. MQTT events are not retained, so without this a
 * restarted console would show an empty feed and forget every acknowledgement.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import type { Acknowledgement, AlertEntry } from '../alerts.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, started_at TEXT NOT NULL, entry TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_at);
  CREATE TABLE IF NOT EXISTS thumbnails (key TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS acks (key TEXT PRIMARY KEY, by TEXT NOT NULL, at TEXT NOT NULL);
`;

const storedAlert = z.object({
  key: z.string(), host: z.string(), id: z.string(), camera: z.string(), label: z.string(),
  score: z.number(), maxScore: z.number(), box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  zones: z.array(z.string()), startedAt: z.string(), endedAt: z.string().nullable(),
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

  constructor(path: string, private readonly keep: number, private readonly logger: Logger) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
  }

  saveAlert(entry: AlertEntry): void {
    const { ack: _ack, ...rest } = entry;
    this.db.prepare('INSERT INTO alerts (key, started_at, entry) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET started_at = excluded.started_at, entry = excluded.entry')
      .run(entry.key, entry.startedAt, JSON.stringify(rest));
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
    const rows = this.db.prepare('SELECT key, entry FROM alerts ORDER BY started_at DESC LIMIT ?').all(this.keep) as { key: string; entry: string }[];
    for (const row of rows) {
      const entry = this.parse(row.key, row.entry);
      if (entry !== undefined) alerts.push({ ...entry, ack: acks.get(entry.key) ?? null });
    }
    const thumbnails = new Map<string, Buffer>();
    for (const row of this.db.prepare('SELECT key, jpeg FROM thumbnails').all() as { key: string; jpeg: Buffer }[]) thumbnails.set(row.key, row.jpeg);
    return { alerts, thumbnails };
  }

  close(): void {
    this.db.close();
  }

  private parse(key: string, text: string): Omit<AlertEntry, 'ack'> | undefined {
    try {
      return storedAlert.parse(JSON.parse(text));
    } catch (err) {
      this.logger.warn({ key, err }, 'skipped an unreadable stored alert');
      return undefined;
    }
  }

  private wrote(): void {
    this.writes += 1;
    if (this.writes % PRUNE_EVERY === 0) this.prune();
  }

  /** Keeps the newest `keep` alerts and what belongs to them. */
  prune(): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM alerts WHERE key NOT IN (SELECT key FROM alerts ORDER BY started_at DESC LIMIT ?)').run(this.keep);
      this.db.prepare('DELETE FROM acks WHERE key NOT IN (SELECT key FROM alerts)').run();
      // A thumbnail may come before its event: only drop orphans once the feed has moved on.
      this.db.prepare('DELETE FROM thumbnails WHERE key NOT IN (SELECT key FROM alerts) AND rowid < (SELECT max(rowid) - ? FROM thumbnails)').run(PRUNE_EVERY);
    })();
  }
}
