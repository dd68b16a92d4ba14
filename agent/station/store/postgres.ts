// One file: the PostgreSQL engine keeps every write of one message (idempotency key, fold, notify)
// in one transaction, and the row mapping next to the SQL that reads it.
/**
 * The PostgreSQL engine (`--db postgres://...`): several consoles share one database. Each message
 * is written in one transaction (a console's ingest commits a batch of them in one): its (host, id,
 * seq) row first — a second copy stops there — then
 * the event or health entry it folds into, under an advisory lock on that entry so two consoles
 * folding messages of one event never lose each other's. A NOTIFY on commit tells every console.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { clipInfoSchema, type ClipInfo } from '../../link/contract/v1.js';
import { alertKey, evictionIndex, mergeAlert, newAlert, type Acknowledgement, type AlertEntry } from '../alerts.js';
import { MAX_HEALTH_KEYS_PER_HOST, healthEntry, type HealthEntry } from '../health.js';
import type { Delivery, EventFrameView, StationMessage } from '../messages.js';
import type { CameraStatusMessage, EventMessage, HealthMessage } from '../schemas.js';
import { MAX_CAMERAS_PER_HOST } from '../state.js';
import { migrate } from './migrate.js';
import { encodeCursor, type EventPage, type EventQuery } from './search.js';
import { SEQ_MEMORY, type RecordOutcome, type Restored, type StationStore, type StoreChange } from './store.js';

const CHANNEL = 'minwang_station';
const INT8 = 20;
/** seq fits a double: read int8 as a number, not a string. */
const defaultParser = pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown;
const TYPES = { getTypeParser: (oid: number, format?: string) => (oid === INT8 ? Number : defaultParser(oid, format)) } as pg.CustomTypesConfig;

type Tx = pg.PoolClient;
type Queryable = Pick<pg.Pool, 'query'>;

/** The advisory lock a message's fold takes (see recordEvent, recordHealth). */
function lockOf(message: StationMessage): string[] {
  if (message.kind === 'event') return [`event/${alertKey(message.host, message.payload.id)}`];
  if (message.kind === 'health') return [`health/${message.host}`];
  return [];
}

export class PostgresStore implements StationStore {
  readonly engine = 'postgres';
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private listener: pg.Client | undefined;
  private closed = false;
  /** Marks this console's notifications in logs; every console (this one too) applies every change. */
  private readonly origin = randomBytes(4).toString('hex');
  /**
   * Hosts whose row this console has seen committed: their events skip the `INSERT INTO hosts`
   * (at 100 messages/s each round trip counts: a batch's commit waits for all of them in turn).
   */
  private readonly hostsWithRow = new Set<string>();

  private constructor(private readonly pool: pg.Pool, private readonly url: string, private readonly logger: Logger) {}

  /** Connects, migrates to the newest schema and starts listening for other consoles' changes. */
  static async open(url: string, logger: Logger): Promise<PostgresStore> {
    await migrate(url, logger);
    const pool = new pg.Pool({ connectionString: url, max: 4, types: TYPES, connectionTimeoutMillis: 10_000 });
    pool.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'database connection lost'));
    const store = new PostgresStore(pool, url, logger);
    await store.listen();
    return store;
  }

  record(message: StationMessage, delivery: Delivery): Promise<RecordOutcome> {
    return this.recordWith(undefined, message, delivery);
  }

  /**
   * One transaction (one commit) for the batch. The advisory locks its messages need are taken first,
   * in one order, so two consoles committing batches of the same events wait for each other in turn,
   * never in a cycle.
   */
  async recordAll(batch: readonly { message: StationMessage; delivery: Delivery }[]): Promise<void> {
    if (batch.length === 0) return;
    const locks = [...new Set(batch.flatMap(({ message }) => lockOf(message)))].sort();
    const hosts = new Set<string>();
    await this.tx(async (c) => {
      // All in one round trip, in the array's order (a function scan returns its rows in order).
      if (locks.length > 0) await c.query('SELECT pg_advisory_xact_lock(hashtextextended(l, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS t(l, n) ORDER BY n', [locks]);
      // Health messages count in the events' seq order (and theirs in the events'): such a batch goes one message at a time.
      if (batch.some(({ message }) => message.kind === 'health')) {
        for (const { message, delivery } of batch) {
          await this.recordWith(c, message, delivery, true);
          if (message.kind === 'event') hosts.add(message.host);
        }
        return;
      }
      const events: { host: string; event: EventMessage; delivery: Delivery }[] = [];
      const thumbnails: { host: string; id: string; jpeg: Buffer; delivery: Delivery }[] = [];
      for (const { message, delivery } of batch) {
        if (message.kind === 'event') events.push({ host: message.host, event: message.payload, delivery });
        else if (message.kind === 'thumbnail') thumbnails.push({ host: message.host, id: message.eventId, jpeg: message.jpeg, delivery });
        else await this.recordWith(c, message, delivery, true);
      }
      await this.recordEvents(c, events);
      await this.recordThumbnails(c, thumbnails);
      for (const { host } of events) hosts.add(host);
    });
    for (const host of hosts) this.hostsWithRow.add(host);
  }

  /**
   * A batch's events in six round trips however many there are (one statement per message made a
   * batch's commit wait for hundreds of round trips in turn, seconds on a loaded machine). The same
   * as recordEvent one after the other: a message already stored is a duplicate; a message is late
   * when a higher seq of its host was stored before it (earlier in the batch included); each event
   * folds its messages in the batch's order onto what the store holds. The caller holds the locks.
   */
  private async recordEvents(c: Tx, items: readonly { host: string; event: EventMessage; delivery: Delivery }[]): Promise<void> {
    if (items.length === 0) return;
    const hostList = [...new Set(items.map((i) => i.host))];
    const maxSeqs = await c.query<{ host: string; max: number | null }>(`SELECT h AS host, GREATEST((SELECT max(seq) FROM event_messages WHERE host = h), (SELECT max(seq) FROM health_messages WHERE host = h)) AS max
      FROM unnest($1::text[]) AS h`, [hostList]);
    const maxSeq = new Map(maxSeqs.rows.map((r) => [r.host, r.max ?? Number.NEGATIVE_INFINITY]));
    const current = await c.query<EventRow>('SELECT e.* FROM events e JOIN unnest($1::text[], $2::text[]) AS k(host, event_id) ON e.host = k.host AND e.event_id = k.event_id',
      [items.map((i) => i.host), items.map((i) => i.event.id)]);
    const folded = new Map<string, AlertEntry>(current.rows.map((r) => [alertKey(r.host, r.event_id), toEntry(r)]));
    const inserted = await c.query<{ host: string; event_id: string; seq: number }>(`INSERT INTO event_messages (host, event_id, seq, type, payload, received_at)
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS m(host text, event_id text, seq bigint, type text, payload jsonb, received_at timestamptz)
      ON CONFLICT DO NOTHING RETURNING host, event_id, seq`,
    [JSON.stringify(items.map(({ host, event, delivery }) => ({ host, event_id: event.id, seq: event.seq, type: event.type, payload: event, received_at: delivery.receivedAt.toISOString() })))]);
    const fresh = new Set(inserted.rows.map((r) => `${r.host}/${r.event_id}#${r.seq}`));
    const changed = new Map<string, AlertEntry>();
    const notifications: string[] = [];
    for (const { host, event, delivery } of items) {
      // A second copy in the same batch is a duplicate too: only the first takes the fresh row.
      if (!fresh.delete(`${host}/${event.id}#${event.seq}`)) continue;
      const key = alertKey(host, event.id);
      const delayed = event.historical === true || (maxSeq.get(host) ?? Number.NEGATIVE_INFINITY) > event.seq;
      maxSeq.set(host, Math.max(maxSeq.get(host) ?? Number.NEGATIVE_INFINITY, event.seq));
      const before = folded.get(key);
      const entry = before === undefined ? newAlert(host, event, delayed, delivery.receivedAt) : mergeAlert(before, event, delayed, delivery.receivedAt);
      folded.set(key, entry);
      changed.set(key, entry);
      notifications.push(this.notification({ kind: 'alert', key, seq: event.seq }));
    }
    if (changed.size === 0) return;
    // Every host with events has a row: the restore reads each host's newest events through it.
    const newHosts = hostList.filter((h) => !this.hostsWithRow.has(h));
    if (newHosts.length > 0) await c.query('INSERT INTO hosts (host) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [newHosts]);
    const rows = [...changed.values()].map((e) => ({
      host: e.host, event_id: e.id, camera: e.camera, label: e.label, score: e.score, max_score: e.maxScore, box: e.box, zones: e.zones, started_at: e.startedAt,
      sort_at: e.sortAt, ended_at: e.endedAt, type: e.type, ts: e.ts, seq: e.seq, thumbnail: e.thumbnail, alert: e.alert, quiet: e.quiet, delayed: e.delayed,
    }));
    await c.query(`INSERT INTO events (host, event_id, camera, label, score, max_score, box, zones, started_at, sort_at, ended_at, type, ts, seq, thumbnail, alert, quiet, delayed)
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(host text, event_id text, camera text, label text, score double precision, max_score double precision, box jsonb, zones jsonb,
        started_at text, sort_at timestamptz, ended_at text, type text, ts text, seq bigint, thumbnail boolean, alert boolean, quiet text, delayed boolean)
      ON CONFLICT (host, event_id) DO UPDATE SET camera = excluded.camera, label = excluded.label, score = excluded.score, max_score = excluded.max_score, box = excluded.box,
        zones = excluded.zones, started_at = excluded.started_at, sort_at = excluded.sort_at, ended_at = excluded.ended_at, type = excluded.type, ts = excluded.ts, seq = excluded.seq,
        thumbnail = excluded.thumbnail, alert = excluded.alert, quiet = excluded.quiet, delayed = excluded.delayed`, [JSON.stringify(rows)]);
    await c.query('SELECT pg_notify($1, n) FROM unnest($2::text[]) WITH ORDINALITY AS t(n, i) ORDER BY i', [CHANNEL, notifications]);
  }

  /** A batch's thumbnails in one statement with their NOTIFYs: as recordThumbnail one after the other (the last copy of a picture wins). */
  private async recordThumbnails(c: Tx, items: readonly { host: string; id: string; jpeg: Buffer; delivery: Delivery }[]): Promise<void> {
    if (items.length === 0) return;
    const last = new Map(items.map((i) => [alertKey(i.host, i.id), i]));
    const list = [...last.values()];
    await c.query(`WITH w AS (INSERT INTO thumbnails (host, event_id, jpeg, received_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[])
        ON CONFLICT (host, event_id) DO UPDATE SET jpeg = excluded.jpeg, received_at = excluded.received_at WHERE thumbnails.jpeg <> excluded.jpeg RETURNING host, event_id)
      SELECT pg_notify($5, json_build_object('kind', 'thumbnail', 'key', host || '/' || event_id, 'origin', $6::text)::text) FROM w`,
    [list.map((i) => i.host), list.map((i) => i.id), list.map((i) => i.jpeg), list.map((i) => i.delivery.receivedAt), CHANNEL, this.origin]);
  }

  /** In `c`'s transaction, or in one of its own; `locked`: the transaction holds the message's advisory lock already. */
  private async recordWith(c: Tx | undefined, message: StationMessage, delivery: Delivery, locked = false): Promise<RecordOutcome> {
    switch (message.kind) {
      case 'event': return this.within(c, (t) => this.recordEvent(t, message.host, message.payload, delivery, locked));
      case 'thumbnail': return this.within(c, (t) => this.recordThumbnail(t, message.host, message.eventId, message.jpeg, delivery));
      case 'frame': return this.within(c, (t) => this.recordFrame(t, message.host, message.eventId, message.frame, delivery));
      case 'health': return this.within(c, (t) => this.recordHealth(t, message.host, message.payload, delivery));
      case 'cameraStatus': return this.recordCamera(c ?? this.pool, message.host, message.payload);
      case 'status': return this.upsertHost(c ?? this.pool, message.host, 'status', message.payload, message.payload.state === 'online' ? delivery : null);
      case 'heartbeat': return this.upsertHost(c ?? this.pool, message.host, 'heartbeat', message.payload, delivery);
      case 'model': return this.upsertHost(c ?? this.pool, message.host, 'model', message.payload, null);
      default: return 'ignored';
    }
  }

  private within<T>(c: Tx | undefined, work: (c: Tx) => Promise<T>): Promise<T> {
    return c === undefined ? this.tx(work) : work(c);
  }

  async acknowledge(key: string, ack: Acknowledgement): Promise<Acknowledgement | undefined> {
    const [host, id] = splitKey(key);
    return this.tx(async (c) => {
      const updated = await c.query('UPDATE events SET ack_by = $3, ack_at = $4 WHERE host = $1 AND event_id = $2 AND ack_by IS NULL', [host, id, ack.by, ack.at]);
      const row = await c.query<{ ack_by: string | null; ack_at: string | null }>('SELECT ack_by, ack_at FROM events WHERE host = $1 AND event_id = $2', [host, id]);
      const stored = row.rows[0];
      if (stored?.ack_by == null || stored.ack_at === null) return undefined;
      if (updated.rowCount === 1) await this.notify(c, { kind: 'alert', key });
      return { by: stored.ack_by, at: stored.ack_at };
    });
  }

  async load(limits: { alerts: number; thumbnailBytes: number }): Promise<Restored> {
    // Each host's newest `alerts` at most (from the host index, not a scan of the history), the
    // newest 5 × `alerts` of those (a flooding host holds at most a fifth), then the feed's own
    // fairness over them: the biggest host's oldest go first.
    const rows = await this.pool.query<EventRow>(`SELECT e.* FROM hosts h
      CROSS JOIN LATERAL (SELECT * FROM events WHERE events.host = h.host ORDER BY sort_at DESC, event_id DESC LIMIT $1) e
      ORDER BY e.sort_at DESC, e.host, e.event_id LIMIT $2`, [limits.alerts, limits.alerts * 5]);
    const alerts = rows.rows.map(toEntry);
    while (alerts.length > limits.alerts) alerts.splice(evictionIndex(alerts), 1);
    const health = await this.pool.query<{ entry: HealthEntry }>('SELECT entry FROM health WHERE raised ORDER BY ts DESC LIMIT 2000');
    return { alerts, thumbnails: await this.thumbnailsOf(alerts, limits.thumbnailBytes), health: health.rows.map((r) => r.entry), seqs: await this.recentSeqs() };
  }

  private async recentSeqs(): Promise<Map<string, number[]>> {
    const rows = await this.pool.query<{ host: string; seq: number }>(`SELECT host, seq FROM (
        SELECT host, seq, row_number() OVER (PARTITION BY host ORDER BY seq DESC) AS rank FROM (
          SELECT host, seq FROM event_messages WHERE received_at > now() - make_interval(hours => $1)
          UNION ALL SELECT host, seq FROM health_messages WHERE received_at > now() - make_interval(hours => $1)) recent) ranked
      WHERE rank <= $2`, [SEQ_MEMORY.hours, SEQ_MEMORY.perHost]);
    const seqs = new Map<string, number[]>();
    for (const { host, seq } of rows.rows) seqs.set(host, [...(seqs.get(host) ?? []), seq]);
    return seqs;
  }

  async alert(key: string): Promise<AlertEntry | undefined> {
    const [host, id] = splitKey(key);
    const rows = await this.pool.query<EventRow>('SELECT * FROM events WHERE host = $1 AND event_id = $2', [host, id]);
    return rows.rows[0] === undefined ? undefined : toEntry(rows.rows[0]);
  }

  async alerts(keys: readonly string[]): Promise<AlertEntry[]> {
    if (keys.length === 0) return [];
    const pairs = keys.map(splitKey);
    const rows = await this.pool.query<EventRow>('SELECT e.* FROM events e JOIN unnest($1::text[], $2::text[]) AS k(host, event_id) USING (host, event_id)',
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
    return rows.rows.map(toEntry);
  }

  async health(key: string): Promise<HealthEntry | undefined> {
    const [host, kind, ...subject] = key.split('/');
    const rows = await this.pool.query<{ entry: HealthEntry }>('SELECT entry FROM health WHERE host = $1 AND kind = $2 AND subject = $3', [host, kind, subject.join('/')]);
    return rows.rows[0]?.entry;
  }

  async frame(host: string, id: string): Promise<EventFrameView | undefined> {
    const rows = await this.pool.query<{ jpeg: Buffer; box: EventFrameView['box']; width: number; height: number; captured_at: string }>(
      'SELECT jpeg, box, width, height, captured_at FROM frames WHERE host = $1 AND event_id = $2', [host, id]);
    const row = rows.rows[0];
    return row === undefined ? undefined : { jpeg: row.jpeg, box: row.box, width: row.width, height: row.height, capturedAt: row.captured_at };
  }

  /** The clip the event's `end` announced: read from the kept lifecycle messages (a newer end wins). */
  async clip(host: string, id: string): Promise<ClipInfo | undefined> {
    const rows = await this.pool.query<{ clip: unknown }>(`SELECT payload->'clip' AS clip FROM event_messages
      WHERE host = $1 AND event_id = $2 AND type = 'end' AND payload ? 'clip' ORDER BY seq DESC LIMIT 1`, [host, id]);
    const parsed = clipInfoSchema.safeParse(rows.rows[0]?.clip);
    return parsed.success ? parsed.data : undefined;
  }

  async thumbnail(host: string, id: string): Promise<Buffer | undefined> {
    const rows = await this.pool.query<{ jpeg: Buffer }>('SELECT jpeg FROM thumbnails WHERE host = $1 AND event_id = $2', [host, id]);
    return rows.rows[0]?.jpeg;
  }

  async search(query: EventQuery): Promise<EventPage> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql.replace(/\?/g, () => `$${args.push(values.shift())}`));
    };
    if (query.host !== undefined) add('e.host = ?', query.host);
    if (query.camera !== undefined) add('e.camera = ?', query.camera);
    if (query.label !== undefined) add('e.label = ?', query.label);
    if (query.alert !== undefined) add('e.alert = ?', query.alert);
    if (query.from !== undefined) add('e.sort_at >= ?', query.from);
    if (query.to !== undefined) add('e.sort_at < ?', query.to);
    if (query.after !== undefined) add('(e.sort_at, e.host || \'/\' || e.event_id) < (?, ?)', query.after.sortAt, query.after.key);
    const rows = await this.pool.query<EventRow & { has_thumbnail: boolean }>(`SELECT e.*, EXISTS (SELECT 1 FROM thumbnails t WHERE t.host = e.host AND t.event_id = e.event_id) AS has_thumbnail
      FROM events e ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY e.sort_at DESC, e.host || '/' || e.event_id DESC LIMIT ${query.limit + 1}`, args);
    const events = rows.rows.slice(0, query.limit).map((r) => ({ ...toEntry(r), hasThumbnail: r.has_thumbnail }));
    const last = events.at(-1);
    return { events, next: rows.rows.length > query.limit && last !== undefined ? encodeCursor(last) : null };
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /**
   * Three round trips (two once this console has seen the host's row): the message row, the check
   * for a newer seq and the event's current fold in one statement; the new fold and its NOTIFY in
   * another.
   */
  private async recordEvent(c: Tx, host: string, event: EventMessage, delivery: Delivery, locked: boolean): Promise<RecordOutcome> {
    const key = alertKey(host, event.id);
    if (!locked) await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`event/${key}`]);
    const found = await c.query<EventRow & { inserted: number; behind: boolean }>(`WITH ins AS (
        INSERT INTO event_messages (host, event_id, seq, type, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1)
      SELECT (SELECT count(*) FROM ins)::int AS inserted,
        EXISTS (SELECT 1 FROM event_messages WHERE host = $1 AND seq > $3 UNION ALL SELECT 1 FROM health_messages WHERE host = $1 AND seq > $3) AS behind,
        e.* FROM (SELECT 1) one LEFT JOIN events e ON e.host = $1 AND e.event_id = $2`,
    [host, event.id, event.seq, event.type, event, delivery.receivedAt]);
    const row = found.rows[0];
    if (row === undefined || row.inserted === 0) return 'duplicate';
    const delayed = event.historical === true || row.behind;
    // Every host with events has a row: the restore reads each host's newest events through it.
    if (!this.hostsWithRow.has(host)) await c.query('INSERT INTO hosts (host) VALUES ($1) ON CONFLICT DO NOTHING', [host]);
    const entry = row.host === null ? newAlert(host, event, delayed, delivery.receivedAt) : mergeAlert(toEntry(row), event, delayed, delivery.receivedAt);
    await c.query(`WITH up AS (INSERT INTO events (host, event_id, camera, label, score, max_score, box, zones, started_at, sort_at, ended_at, type, ts, seq, thumbnail, alert, quiet, delayed)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
      ON CONFLICT (host, event_id) DO UPDATE SET camera = $3, label = $4, score = $5, max_score = $6, box = $7, zones = $8, started_at = $9, sort_at = $10,
        ended_at = $11, type = $12, ts = $13, seq = $14, thumbnail = $15, alert = $16, quiet = $17, delayed = $18 RETURNING 1)
      SELECT pg_notify($19, $20) FROM up`,
    [host, event.id, entry.camera, entry.label, entry.score, entry.maxScore, JSON.stringify(entry.box), JSON.stringify(entry.zones), entry.startedAt, entry.sortAt,
      entry.endedAt, entry.type, entry.ts, entry.seq, entry.thumbnail, entry.alert, entry.quiet, entry.delayed, CHANNEL, this.notification({ kind: 'alert', key, seq: event.seq })]);
    return 'stored';
  }

  private async behindNewerSeq(c: Tx, host: string, seq: number): Promise<boolean> {
    const newer = await c.query(`SELECT 1 FROM event_messages WHERE host = $1 AND seq > $2
      UNION ALL SELECT 1 FROM health_messages WHERE host = $1 AND seq > $2 LIMIT 1`, [host, seq]);
    return (newer.rowCount ?? 0) > 0;
  }

  private async recordThumbnail(c: Tx, host: string, id: string, jpeg: Buffer, delivery: Delivery): Promise<RecordOutcome> {
    // The write and its NOTIFY in one round trip: a row comes back only when the picture was written.
    const written = await c.query(`WITH w AS (INSERT INTO thumbnails (host, event_id, jpeg, received_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (host, event_id) DO UPDATE SET jpeg = excluded.jpeg, received_at = excluded.received_at WHERE thumbnails.jpeg <> excluded.jpeg RETURNING 1)
      SELECT pg_notify($5, $6) FROM w`, [host, id, jpeg, delivery.receivedAt, CHANNEL, this.notification({ kind: 'thumbnail', key: alertKey(host, id) })]);
    return written.rowCount === 0 ? 'duplicate' : 'stored';
  }

  /** One whole picture per event: the first one stays (a redelivery or a second console changes nothing). */
  private async recordFrame(c: Tx, host: string, id: string, frame: EventFrameView, delivery: Delivery): Promise<RecordOutcome> {
    const written = await c.query(`INSERT INTO frames (host, event_id, jpeg, box, width, height, captured_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (host, event_id) DO NOTHING`, [host, id, frame.jpeg, JSON.stringify(frame.box), frame.width, frame.height, frame.capturedAt, delivery.receivedAt]);
    return written.rowCount === 0 ? 'duplicate' : 'stored';
  }

  private async recordHealth(c: Tx, host: string, health: HealthMessage, delivery: Delivery): Promise<RecordOutcome> {
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`health/${host}`]);
    const inserted = await c.query('INSERT INTO health_messages (host, health_id, seq, payload, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [host, health.id, health.seq, health, delivery.receivedAt]);
    if (inserted.rowCount === 0) return 'duplicate';
    const entry = healthEntry(host, health, health.historical === true || await this.behindNewerSeq(c, host, health.seq));
    const written = await c.query(`INSERT INTO health (host, kind, subject, entry, ts, raised)
      SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM health WHERE host = $1 AND kind = $2 AND subject = $3)
        OR (SELECT count(*) FROM health WHERE host = $1) < ${MAX_HEALTH_KEYS_PER_HOST}
      ON CONFLICT (host, kind, subject) DO UPDATE SET entry = excluded.entry, ts = excluded.ts, raised = excluded.raised WHERE health.ts <= excluded.ts`,
    [host, entry.kind, entry.subject, entry, entry.ts, entry.state === 'raised']);
    if (written.rowCount === 0) return 'ignored';
    await this.notify(c, { kind: 'health', key: entry.key, seq: health.seq });
    return 'stored';
  }

  private async recordCamera(q: Queryable, host: string, camera: CameraStatusMessage): Promise<RecordOutcome> {
    const written = await q.query(`INSERT INTO cameras (host, camera, ts, status)
      SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM cameras WHERE host = $1 AND camera = $2)
        OR (SELECT count(*) FROM cameras WHERE host = $1) < ${MAX_CAMERAS_PER_HOST}
      ON CONFLICT (host, camera) DO UPDATE SET ts = excluded.ts, status = excluded.status WHERE cameras.ts <= excluded.ts`, [host, camera.camera, camera.ts, camera]);
    return written.rowCount === 0 ? 'ignored' : 'stored';
  }

  /** Latest retained state of a host; the console's memory applies the session rules, this keeps the newest copy by `ts`. */
  private async upsertHost(q: Queryable, host: string, column: 'status' | 'heartbeat' | 'model', payload: { ts: string }, alive: Delivery | null): Promise<RecordOutcome> {
    const seen = alive === null ? null : alive.retained ? new Date(Math.min(Date.parse(payload.ts), alive.receivedAt.getTime())) : alive.receivedAt;
    const written = await q.query(`INSERT INTO hosts (host, ${column}, last_seen_at) VALUES ($1, $2, $3)
      ON CONFLICT (host) DO UPDATE SET ${column} = excluded.${column}, last_seen_at = GREATEST(hosts.last_seen_at, excluded.last_seen_at)
      WHERE hosts.${column} IS NULL OR (hosts.${column}->>'ts')::timestamptz <= (excluded.${column}->>'ts')::timestamptz`, [host, payload, seen]);
    return written.rowCount === 0 ? 'ignored' : 'stored';
  }

  private async thumbnailsOf(alerts: readonly AlertEntry[], budget: number): Promise<Map<string, Buffer>> {
    const thumbnails = new Map<string, Buffer>();
    if (alerts.length === 0) return thumbnails;
    const sizes = await this.pool.query<{ host: string; event_id: string; bytes: number }>(
      'SELECT host, event_id, octet_length(jpeg) AS bytes FROM thumbnails WHERE (host, event_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [alerts.map((a) => a.host), alerts.map((a) => a.id)]);
    const bytesOf = new Map(sizes.rows.map((r) => [alertKey(r.host, r.event_id), r.bytes]));
    let bytes = 0;
    for (const alert of alerts) {
      const size = bytesOf.get(alert.key);
      if (size === undefined || bytes + size > budget) continue;
      bytes += size;
      const jpeg = await this.thumbnail(alert.host, alert.id);
      if (jpeg !== undefined) thumbnails.set(alert.key, jpeg);
    }
    return thumbnails;
  }

  private async tx<T>(work: (c: Tx) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Delivered to every listening console when the transaction commits, never before. */
  private async notify(c: Tx, change: StoreChange): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [CHANNEL, this.notification(change)]);
  }

  private notification(change: StoreChange): string {
    return JSON.stringify({ ...change, origin: this.origin });
  }

  /** One connection held for LISTEN; after losing it, reconnects and tells listeners to reload. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, types: TYPES });
    client.on('notification', (n) => this.dispatch(n.payload));
    const lost = (err?: Error) => {
      if (this.listener !== client) return;
      this.logger.warn({ err: err === undefined ? 'closed' : errorMessage(err) }, 'lost the database notification connection; reconnecting');
      this.relisten();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.listener = client;
  }

  private relisten(): void {
    const old = this.listener;
    this.listener = undefined;
    void old?.end().catch(() => undefined);
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      this.listen().then(() => {
        this.logger.info('listening for database changes again');
        for (const listener of this.listeners) listener({ kind: 'resync' });
      }, () => this.relisten());
    }, 1000).unref();
  }

  private dispatch(payload: string | undefined): void {
    let change: StoreChange;
    try {
      const parsed = JSON.parse(payload ?? '') as { kind?: unknown; key?: unknown; seq?: unknown };
      if ((parsed.kind !== 'alert' && parsed.kind !== 'thumbnail' && parsed.kind !== 'health') || typeof parsed.key !== 'string') return;
      change = parsed.kind !== 'thumbnail' && typeof parsed.seq === 'number' ? { kind: parsed.kind, key: parsed.key, seq: parsed.seq } : { kind: parsed.kind, key: parsed.key };
    } catch {
      return;
    }
    for (const listener of this.listeners) listener(change);
  }
}

interface EventRow {
  host: string; event_id: string; camera: string; label: string; score: number; max_score: number;
  box: [number, number, number, number]; zones: string[]; started_at: string; sort_at: Date; ended_at: string | null;
  type: AlertEntry['type']; ts: string; seq: number; thumbnail: boolean; alert: boolean; quiet: AlertEntry['quiet'];
  delayed: boolean; ack_by: string | null; ack_at: string | null;
}

function toEntry(r: EventRow): AlertEntry {
  return {
    key: alertKey(r.host, r.event_id), host: r.host, id: r.event_id, camera: r.camera, label: r.label, score: r.score, maxScore: r.max_score,
    box: r.box, zones: r.zones, startedAt: r.started_at, sortAt: r.sort_at.toISOString(), endedAt: r.ended_at, type: r.type, ts: r.ts, seq: r.seq,
    thumbnail: r.thumbnail, alert: r.alert, quiet: r.quiet, delayed: r.delayed,
    ack: r.ack_by === null || r.ack_at === null ? null : { by: r.ack_by, at: r.ack_at },
  };
}

/** `<host>/<event id>`: a host id has no `/`, so the first one splits. */
function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return slash < 0 ? [key, ''] : [key.slice(0, slash), key.slice(slash + 1)];
}
