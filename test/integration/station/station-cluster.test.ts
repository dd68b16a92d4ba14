/**
 * Several consoles, one view: two real `minwang console --web` processes on one PostgreSQL and one
 * mosquitto, sharing the event streams ($share/GROUP/...). An acknowledgement on one reaches the
 * other's open page; a console killed with SIGKILL in the middle of a burst loses nothing and
 * doubles nothing.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePasswordFile } from '../../helpers/certs.js';
import { waitFor } from '../../helpers/cli.js';
import { TestBroker } from '../../helpers/mosquitto.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { EventStream, acknowledge, getText, startWebConsole, stopWebConsole, type ConsoleProcess } from '../../helpers/station/console.js';
import { SimulatedHost, realThumbnails } from '../../helpers/station/host.js';
import { Station } from '../../helpers/station.js';
import { tempDir } from '../../helpers/tmp.js';

const BOUND_MS = 20_000;
const VILLAGES = ['xicun-01', 'dongcun-02', 'nancun-03'];
const PER_HOST = 150;

describe('two consoles on one PostgreSQL and one broker', () => {
  let broker: TestBroker;
  let db: TestDatabase;
  let thumbnails: Buffer[];
  const consoles: ConsoleProcess[] = [];
  const hosts: SimulatedHost[] = [];
  const streams: EventStream[] = [];

  const startConsole = async (name: string) => {
    const started = await startWebConsole(['--db', db.url, '--share', 'desks', '--client-id', name, '--url', broker.url, '--log-level', 'info']);
    consoles.push(started);
    return started;
  };

  beforeAll(async () => {
    broker = await TestBroker.start({ dir: join(await tempDir(), 'broker') });
    thumbnails = await realThumbnails(2);
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    for (const host of hosts.splice(0)) await host.stop();
    for (const console of consoles.splice(0)) await stopWebConsole(console);
    await db?.drop();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('pushes a new alert to the pages of both consoles, and an acknowledgement on one to the other', async () => {
    db = await createTestDatabase();
    const a = await startConsole('desk-a');
    const b = await startConsole('desk-b');
    const [pageA, pageB] = [new EventStream(a.base), new EventStream(b.base)];
    streams.push(pageA, pageB);
    const host = new SimulatedHost('dongcun-02', broker.url, 1);
    hosts.push(host);
    await host.connect();
    // Two events: with the streams shared, each console's broker share holds at most one of them.
    await host.personEvent('evt-1', 'road', thumbnails[0]!);
    await host.personEvent('evt-2', 'road', thumbnails[1]!);
    for (const page of [pageA, pageB]) {
      await waitFor(() => page.text.includes('data-key=\\"dongcun-02/evt-1\\"') && page.text.includes('data-key=\\"dongcun-02/evt-2\\"'), BOUND_MS, 'both alerts on both pages');
    }
    const acked = await acknowledge(a.base, 'dongcun-02/evt-1');
    expect(acked.status, acked.body).toBe(200);
    await waitFor(() => /event: alert\ndata: \{"key":"dongcun-02\/evt-1","html":"[^\n]*acked-by[^\n]*local operator/.test(pageB.text), BOUND_MS, 'the acknowledgement on console B\'s page');
    // B's own page (rendered from its memory) and its API agree, and the thumbnail is served by both.
    expect((await getText(`${b.base}/`)).body).toMatch(/data-key="dongcun-02\/evt-1"[\s\S]*?acked-by[\s\S]*?local operator/);
    const api = JSON.parse((await getText(`${b.base}/api/events?host=dongcun-02`)).body) as { events: { key: string; ack: { by: string } | null }[] };
    expect(api.events.map((e) => [e.key, e.ack?.by ?? null])).toEqual([['dongcun-02/evt-2', null], ['dongcun-02/evt-1', 'local operator']]);
    for (const base of [a.base, b.base]) expect((await fetch(`${base}/thumb/dongcun-02/evt-1.jpg`)).status).toBe(200);
    // A second click (on the other desk) does not replace who was first.
    const again = await acknowledge(b.base, 'dongcun-02/evt-1');
    expect(JSON.parse(again.body)).toMatchObject({ ack: { by: 'local operator' } });
  });

  /** Two consoles, three hosts publishing 60 events each; console A is killed after about 40 are stored. */
  async function killOneInABurst(extra: string[], { sessions, restartA }: { sessions: boolean; restartA: boolean }): Promise<{ stored: number; total: number; atKill: number }> {
    db = await createTestDatabase();
    const start = async (name: string) => {
      const started = await startWebConsole(['--db', db.url, ...extra, ...(sessions ? ['--client-id', name] : []), '--url', broker.url]);
      consoles.push(started);
      return started;
    };
    const a = await start('desk-a');
    const b = await start('desk-b');
    const said = (text: string) => b.run.output().stderr.includes(text);
    for (const [i, id] of VILLAGES.entries()) hosts.push(new SimulatedHost(id, broker.url, i + 1));
    for (const host of hosts) await host.connect();
    const stored = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_messages')).rows[0]!.n;

    const burst = Promise.all(hosts.map(async (host) => {
      for (let i = 1; i <= PER_HOST; i++) await host.personEvent(`evt-${i}`, 'gate', thumbnails[i % 2]!);
    }));
    for (let i = 0; i < 500 && await stored() < 40; i++) await new Promise((r) => setTimeout(r, 20));
    a.run.child.kill('SIGKILL');
    await a.run.done;
    const atKill = await stored();
    // Sharing with persistent sessions on one database: the survivor takes the killed one's session over...
    if (sessions && extra.includes('--share')) await waitFor(() => said('holding its broker session'), BOUND_MS, 'the survivor to take the session over');
    await burst;
    if (restartA) {
      await start('desk-a');
      // ...and hands it back when the killed console returns under its id.
      if (sessions && extra.includes('--share')) await waitFor(() => said('let the other console\'s session go'), BOUND_MS, 'the survivor to hand the session back');
    }
    const total = VILLAGES.length * PER_HOST;
    // Until all are stored, or nothing more has come for 5 s (a batch commits at once) (bounded either way).
    let final = await stored();
    for (let i = 0, still = 0; i < 2000 && final < total && still < 250; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const now = await stored();
      still = now === final ? still + 1 : 0;
      final = now;
    }
    expect(atKill).toBeLessThan(total);
    return { stored: final, total, atKill };
  }

  it('shared without a persistent session: the killed console\'s backlog is lost, as docs/station.md warns', async () => {
    const { stored, total } = await killOneInABurst(['--share', 'desks'], { sessions: false, restartA: false });
    expect(stored).toBeLessThan(total);
    const doubled = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_messages GROUP BY host, seq HAVING count(*) > 1');
    expect(doubled.rows).toEqual([]);
  });

  /**
   * Sharing (`--share`, persistent sessions): what the broker routed to the killed console waits
   * in its session (Mosquitto 2 does not hand it to the other member); the survivor takes that
   * session over (docs/station.md), and the killed console coming back gets it back. Replicated
   * (no `--share`): every console receives everything and the database stores each message once,
   * so the survivor alone stores all of it.
   */
  it.each([
    { mode: 'shared, the survivor takes the killed console\'s session over', share: true, restartA: false },
    { mode: 'shared, the killed console restarted under its client id', share: true, restartA: true },
    { mode: 'replicated, the survivor alone', share: false, restartA: false },
  ])('loses and doubles nothing when one console is killed (SIGKILL) in the middle of a burst: $mode', async ({ share, restartA }) => {
    const { stored, total } = await killOneInABurst(share ? ['--share', 'desks'] : [], { sessions: share, restartA });
    expect(stored).toBe(total);
    const messages = await db.query<{ host: string; n: number; distinct_seq: number }>('SELECT host, count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seq FROM event_messages GROUP BY host ORDER BY host');
    expect(messages.rows).toEqual([...VILLAGES].sort().map((host) => ({ host, n: PER_HOST, distinct_seq: PER_HOST })));
    const events = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(events.rows[0]!.n).toBe(total);
    const pictures = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM thumbnails');
    expect(pictures.rows[0]!.n).toBe(total);
    // Each console counts every message as received (its own share, the others' through the
    // database, what was stored before it started): no village shows messages missing.
    for (const console of consoles.filter((c) => c.run.child.exitCode === null && c.run.child.signalCode === null)) {
      for (let i = 0; i < 250 && (await getText(`${console.base}/`)).body.includes('messages missing'); i++) await new Promise((r) => setTimeout(r, 20));
      expect((await getText(`${console.base}/`)).body).not.toContain('messages missing');
    }
  });
});

/**
 * Its own broker: the persistent sessions of the tests above would otherwise take a share of this
 * backlog and hand it to the next test's consoles.
 */
describe('a console coming back to a backlog', () => {
  let broker: TestBroker;
  let db: TestDatabase;
  let thumbnails: Buffer[];
  const consoles: ConsoleProcess[] = [];
  const hosts: SimulatedHost[] = [];

  beforeAll(async () => {
    broker = await TestBroker.start({ dir: join(await tempDir(), 'broker') });
    thumbnails = await realThumbnails(2);
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const host of hosts.splice(0)) await host.stop();
    for (const console of consoles.splice(0)) await stopWebConsole(console);
    await db?.drop();
    await broker?.stop();
  });

  it('takes a large backlog queued while it was away, each message once, and keeps running', async () => {
    const start = async () => {
      const started = await startWebConsole(['--db', db.url, '--share', 'backlog', '--client-id', 'desk-backlog', '--url', broker.url]);
      consoles.push(started);
      return started;
    };
    const first = await start();
    // Killed: its persistent session stays subscribed at the broker, which queues for it.
    first.run.child.kill('SIGKILL');
    await first.run.done;
    // Mosquitto queues at most max_queued_messages (1000) for an offline session: 900 here (event and thumbnail each).
    const perHost = 150;
    for (const [i, id] of VILLAGES.entries()) hosts.push(new SimulatedHost(id, broker.url, i + 1));
    for (const host of hosts) await host.connect();
    await Promise.all(hosts.map(async (host) => {
      for (let i = 1; i <= perHost; i++) await host.personEvent(`evt-${i}`, 'gate', thumbnails[i % 2]!);
    }));
    const total = VILLAGES.length * perHost;
    const back = await start();
    const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    for (let i = 0; i < 1500 && await count('thumbnails') < total; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await count('event_messages')).toBe(total);
    expect(await count('thumbnails')).toBe(total);
    expect(back.run.child.exitCode).toBeNull();
    expect((await getText(`${back.base}/`)).status).toBe(200);
  }, 180_000);

});

describe('the shipped broker ACL and shared consoles', () => {
  it('lets the station user share the streams ($share/GROUP/minwang/+/events) under its read rule', async () => {
    const dir = await tempDir();
    const passwd = join(dir, 'passwd');
    await makePasswordFile(passwd, { station: 'station-pw', 'host-a': 'a-pw' });
    const acl = fileURLToPath(new URL('../../../config/mosquitto/minwang.acl', import.meta.url));
    const broker = await TestBroker.start({ dir: join(dir, 'broker'), listener: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`] });
    const desks = [] as Station[];
    try {
      for (let i = 0; i < 2; i++) desks.push(await Station.connect(broker.url, ['$share/desks/minwang/+/events'], { username: 'station', password: 'station-pw' }));
      const host = await Station.connect(broker.url, [], { username: 'host-a', password: 'a-pw' });
      desks.push(host);
      for (let i = 0; i < 10; i++) await host.client.publishAsync('minwang/host-a/events', JSON.stringify({ n: i }), { qos: 1 });
      const [a, b] = desks;
      await waitFor(() => a!.received.length + b!.received.length === 10, BOUND_MS, 'the ten events, shared');
      // Each desk got a share, and no message went to both.
      expect(a!.received.length).toBeGreaterThan(0);
      expect(b!.received.length).toBeGreaterThan(0);
      expect(new Set([...a!.received, ...b!.received].map((m) => m.payload.toString())).size).toBe(10);
    } finally {
      for (const desk of desks) await desk.close();
      await broker.stop();
    }
  });
});
