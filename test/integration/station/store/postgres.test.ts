/**
 * The PostgreSQL engine against the real server (127.0.0.1:5432): migrations on an empty database
 * and from the previous schema, idempotent writes, folding, health, acknowledgements, search.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { migrate } from '../../../../agent/station/store/migrate.js';
import { openStore } from '../../../../agent/station/store/open.js';
import { PostgresStore } from '../../../../agent/station/store/postgres.js';
import { parseEventQuery } from '../../../../agent/station/store/search.js';
import type { StoreChange } from '../../../../agent/station/store/store.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/postgres.js';
import { JPEG, T0, at, camera, event, health, msg, topic } from '../../../unit/station/fixtures.js';

const live = (seconds = 0) => ({ receivedAt: new Date(T0 + seconds * 1000), retained: false });

describe('PostgreSQL store', () => {
  let db: TestDatabase | undefined;
  let store: PostgresStore | undefined;

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await db?.drop();
    db = undefined;
  });

  it('migrates an empty database to the newest schema, once', async () => {
    db = await createTestDatabase();
    expect(await migrate(db.url, silentLogger())).toEqual(['001_station', '002_event-search', '003_event-frames', '004_consoles']);
    expect(await migrate(db.url, silentLogger())).toEqual([]);
    const indexes = await db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname");
    expect(indexes.rows.map((r) => r.indexname)).toContain('events_camera_sort');
  });

  it('migrates from the previous schema and keeps its data', async () => {
    db = await createTestDatabase();
    expect(await migrate(db.url, silentLogger(), { count: 1 })).toEqual(['001_station']);
    await db.query(`INSERT INTO events (host, event_id, camera, label, score, max_score, box, zones, started_at, sort_at, type, ts, seq, thumbnail, alert, delayed)
      VALUES ('h1', 'old-1', 'gate', 'person', 0.8, 0.8, '[0,0,1,1]', '[]', $1, $2, 'new', $1, 1, false, true, false)`, [at(1), at(1)]);
    store = await PostgresStore.open(db.url, silentLogger());
    const migrations = await db.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id');
    expect(migrations.rows.map((r) => r.name)).toEqual(['001_station', '002_event-search', '003_event-frames', '004_consoles']);
    expect(await store.alert('h1/old-1')).toMatchObject({ camera: 'gate', label: 'person', seq: 1 });
    expect((await store.search(parseEventQuery(new URLSearchParams('camera=gate')))).events.map((e) => e.key)).toEqual(['h1/old-1']);
    expect((await store.load({ alerts: 10, thumbnailBytes: 0 })).alerts.map((e) => e.key)).toEqual(['h1/old-1']);
  });

  it('keeps an alerting event\'s whole picture with its box, once, and the clip its end announced', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    const frame = { ts: at(2), event: 'e1', camera: 'gate', capturedAt: at(1), box: [0.1, 0.2, 0.4, 0.9], width: 640, height: 480, contentType: 'image/jpeg', jpegBase64: JPEG.toString('base64') };
    expect(await store.record(msg(topic.eventFrame('h1', 'e1'), frame), live(2))).toBe('stored');
    expect(await store.record(msg(topic.eventFrame('h1', 'e1'), { ...frame, box: [0, 0, 1, 1] }), live(3))).toBe('duplicate');
    expect(await store.frame('h1', 'e1')).toEqual({ jpeg: JPEG, box: [0.1, 0.2, 0.4, 0.9], width: 640, height: 480, capturedAt: at(1) });
    expect(await store.frame('h1', 'other')).toBeUndefined();
    const clip = { bytes: 123_456, durationS: 12.4, sha256: 'c'.repeat(64) };
    await store.record(msg(topic.events('h1'), event('e1', 1)), live(1));
    expect(await store.clip('h1', 'e1')).toBeUndefined();
    await store.record(msg(topic.events('h1'), { ...event('e1', 2), type: 'end', endedAt: at(2), clip }), live(4));
    expect(await store.clip('h1', 'e1')).toEqual(clip);
  });

  it('restores each host a fair share of the feed when one host floods it', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    for (let i = 1; i <= 3; i++) await store.record(msg(topic.events('good'), event(`real-${i}`, i)), live(i));
    for (let i = 1; i <= 40; i++) await store.record(msg(topic.events('evil'), event(`flood-${i}`, i, { startedAt: at(100 + i) })), live(100 + i));
    const restored = (await store.load({ alerts: 10, thumbnailBytes: 0 })).alerts.map((e) => e.key);
    expect(restored).toHaveLength(10);
    expect(restored.filter((k) => k.startsWith('good/'))).toEqual(['good/real-3', 'good/real-2', 'good/real-1']);
  });

  it('tells every store on the database what changed, and to reload after losing the notification connection', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    const other = await PostgresStore.open(db.url, silentLogger());
    try {
      const seen: StoreChange[] = [];
      store.watch((change) => seen.push(change));
      await other.record(msg(topic.events('h1'), event('e1', 1)), live(1));
      await other.acknowledge('h1/e1', { by: 'alice', at: at(2) });
      await other.record(msg(topic.health('h1'), health('a', 2)), live(2));
      await other.record(msg(topic.eventThumbnail('h1', 'e1'), JPEG), live(3));
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(4);
      expect(seen).toEqual([{ kind: 'alert', key: 'h1/e1', seq: 1 }, { kind: 'alert', key: 'h1/e1' }, { kind: 'health', key: 'h1/camera_offline/gate', seq: 2 }, { kind: 'thumbnail', key: 'h1/e1' }]);
      // A rolled-back write notifies nobody: a duplicate changes nothing.
      await other.record(msg(topic.events('h1'), event('e1', 1)), live(4));
      await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN minwang_station' AND pid <> pg_backend_pid()");
      await expect.poll(() => seen.filter((c) => c.kind === 'resync').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      expect(seen.slice(4).filter((c) => c.kind !== 'resync')).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('never shows the password of a database it cannot open', async () => {
    const failed = openStore('postgres://postgres:s3cret-pw@127.0.0.1:1/none', 10, silentLogger());
    await expect(failed).rejects.toThrow('cannot open the database postgres://postgres:***@127.0.0.1:1/none: connect ECONNREFUSED');
    await expect(failed).rejects.not.toThrow(/s3cret/);
  });

  it('stores a message delivered twice once, and folds an event whatever the order', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    const end = msg(topic.events('h1'), event('e1', 3, { type: 'end', endedAt: at(3), score: 0.5 }));
    expect(await store.record(end, live(3))).toBe('stored');
    expect(await store.record(end, live(4))).toBe('duplicate');
    expect(await store.record(msg(topic.events('h1'), event('e1', 1, { score: 0.9 })), live(5))).toBe('stored');
    expect(await store.record(msg(topic.events('h1'), event('e1', 2, { type: 'update', score: 0.7 })), live(6))).toBe('stored');
    expect(await store.alert('h1/e1')).toMatchObject({ type: 'end', seq: 3, maxScore: 0.9, endedAt: at(3), delayed: true, ack: null });
    expect(await store.alerts(['h1/e1', 'h1/none', 'h2/e1'])).toEqual([await store.alert('h1/e1')]);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_messages');
    expect(rows.rows[0]?.n).toBe(3);

    expect(await store.record(msg(topic.eventThumbnail('h1', 'e1'), JPEG), live(7))).toBe('stored');
    expect(await store.record(msg(topic.eventThumbnail('h1', 'e1'), JPEG), live(8))).toBe('duplicate');
    expect(await store.thumbnail('h1', 'e1')).toEqual(JPEG);

    expect(await store.acknowledge('h1/e1', { by: 'alice', at: at(9) })).toEqual({ by: 'alice', at: at(9) });
    expect(await store.acknowledge('h1/e1', { by: 'bob', at: at(10) })).toEqual({ by: 'alice', at: at(9) });
    expect(await store.acknowledge('h1/none', { by: 'bob', at: at(10) })).toBeUndefined();
  });

  it('stores a batch (recordAll, a few statements for all its events) as it stores the same messages one at a time', async () => {
    const messages = [
      msg(topic.events('h1'), event('e1', 3, { type: 'end', endedAt: at(3), score: 0.5 })),
      msg(topic.eventThumbnail('h1', 'e1'), JPEG),
      msg(topic.events('h1'), event('e1', 1, { score: 0.9 })),
      msg(topic.events('h1'), event('e1', 3, { type: 'end', endedAt: at(3), score: 0.5 })),
      msg(topic.events('h2'), event('e1', 7, { alert: false, quiet: 'cooldown' })),
      msg(topic.events('h1'), event('e2', 2, { type: 'new', score: 0.6 })),
      msg(topic.eventThumbnail('h1', 'e1'), JPEG),
      msg(topic.events('h1'), event('e2', 4, { type: 'update', score: 0.8, historical: true })),
    ];
    const contents = async (d: TestDatabase) => ({
      events: (await d.query('SELECT * FROM events ORDER BY host, event_id')).rows,
      messages: (await d.query('SELECT host, event_id, seq, type, payload FROM event_messages ORDER BY host, event_id, seq')).rows,
      thumbnails: (await d.query('SELECT host, event_id, jpeg FROM thumbnails ORDER BY host, event_id')).rows,
      hosts: (await d.query('SELECT host FROM hosts ORDER BY host')).rows,
    });
    const one = await createTestDatabase();
    const oneStore = await PostgresStore.open(one.url, silentLogger());
    try {
      // A message already stored before the batch: the batch has it as a duplicate.
      await oneStore.record(msg(topic.events('h1'), event('e2', 5, { type: 'end', endedAt: at(5) })), live(0));
      for (const [i, m] of messages.entries()) await oneStore.record(m, live(i + 1));
      db = await createTestDatabase();
      store = await PostgresStore.open(db.url, silentLogger());
      const changes: StoreChange[] = [];
      store.watch((change) => changes.push(change));
      await store.record(msg(topic.events('h1'), event('e2', 5, { type: 'end', endedAt: at(5) })), live(0));
      await store.recordAll(messages.map((message, i) => ({ message, delivery: live(i + 1) })));
      expect(await contents(db)).toEqual(await contents(one));
      expect((await store.alert('h1/e1'))?.delayed).toBe(true);
      await expect.poll(() => changes.length).toBeGreaterThanOrEqual(6);
      expect(changes.filter((c) => c.kind === 'thumbnail')).toEqual([{ kind: 'thumbnail', key: 'h1/e1' }]);
      expect(changes.filter((c) => c.kind === 'alert').map((c) => c.key).sort()).toEqual(['h1/e1', 'h1/e1', 'h1/e2', 'h1/e2', 'h1/e2', 'h2/e1']);
    } finally {
      await oneStore.close();
      await one.drop();
    }
  });

  it('keeps health, cameras and hosts, newest by ts and bounded per host', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    expect(await store.record(msg(topic.health('h1'), health('a', 5)), live())).toBe('stored');
    expect(await store.record(msg(topic.health('h1'), health('a', 5)), live())).toBe('duplicate');
    // A late raise older than the clear that is stored does not flip it back.
    expect(await store.record(msg(topic.health('h1'), health('b', 7, { state: 'cleared' })), live())).toBe('stored');
    expect(await store.record(msg(topic.health('h1'), health('c', 6)), live())).toBe('ignored');
    expect(await store.health('h1/camera_offline/gate')).toMatchObject({ state: 'cleared', seq: 7 });
    expect((await store.load({ alerts: 10, thumbnailBytes: 0 })).health).toEqual([]);
    // What a restarted console seeds its seq accounting with: the messages stored in the last day, by host.
    await store.record(msg(topic.health('h1'), health('d', 8, { subject: 'road', state: 'cleared' })), { receivedAt: new Date(), retained: false });
    expect((await store.load({ alerts: 10, thumbnailBytes: 0 })).seqs).toEqual(new Map([['h1', [8]]]));

    expect(await store.record(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'offline', 'timeout', 10)), live())).toBe('stored');
    expect(await store.record(msg(topic.cameraStatus('h1', 'gate'), camera('gate', 'online', null, 5)), live())).toBe('ignored');
    const cameras = await db.query<{ state: string }>("SELECT status->>'state' AS state FROM cameras WHERE host = 'h1'");
    expect(cameras.rows).toEqual([{ state: 'offline' }]);
  });

  it('searches by village, camera, label, alert/quiet and time, in pages', async () => {
    db = await createTestDatabase();
    store = await PostgresStore.open(db.url, silentLogger());
    for (let i = 1; i <= 12; i++) {
      const host = i % 2 === 0 ? 'dongcun' : 'xicun';
      await store.record(msg(topic.events(host), event(`e${i}`, i, { camera: i % 3 === 0 ? 'road' : 'gate', label: i % 4 === 0 ? 'ebike' : 'person', alert: i % 5 !== 0, ...(i % 5 === 0 ? { quiet: 'cooldown' as const } : {}) })), live(i));
    }
    const search = (q: string) => store!.search(parseEventQuery(new URLSearchParams(q)));
    expect((await search('host=dongcun')).events.map((e) => e.id)).toEqual(['e12', 'e10', 'e8', 'e6', 'e4', 'e2']);
    expect((await search('host=dongcun&camera=road')).events.map((e) => e.id)).toEqual(['e12', 'e6']);
    expect((await search('label=ebike')).events.map((e) => e.id)).toEqual(['e12', 'e8', 'e4']);
    expect((await search('kind=quiet')).events.map((e) => e.id)).toEqual(['e10', 'e5']);
    expect((await search(`from=${at(3)}&to=${at(6)}`)).events.map((e) => e.id)).toEqual(['e5', 'e4', 'e3']);
    const first = await search('limit=5');
    expect(first.events.map((e) => e.id)).toEqual(['e12', 'e11', 'e10', 'e9', 'e8']);
    const second = await search(`limit=5&after=${first.next}`);
    expect(second.events.map((e) => e.id)).toEqual(['e7', 'e6', 'e5', 'e4', 'e3']);
    const third = await search(`limit=5&after=${second.next}`);
    expect(third.events.map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(third.next).toBeNull();
  });
});
