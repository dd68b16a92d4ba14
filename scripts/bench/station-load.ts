/**
 * Station load (issue 17): a fleet of simulated village hosts (scripts/bench/station/fleet.ts: 400
 * hosts, 20 cameras each, a heartbeat every 30 s, 100 `events` messages/s with real thumbnails) against
 *   (a) one console on the embedded SQLite default, and
 *   (b) two consoles on one PostgreSQL sharing the ingest ($share/<group>/…), one killed (kill -9)
 *       at `--kill-at` and started again `--restart-after` later (as systemd would).
 * Each console is a real `minwang console --web` process; a real Chromium page per console measures
 * when alert rows appear. Prints JSON per setup: ingest lag p50/p95 (sent → stored), page-update
 * latency p50/p95, messages stored vs sent (missing, doubled), console RSS over time.
 *
 *   npm run build && npm run bench -- station-load                       # the run: 10 min each
 *   npm run bench -- station-load --duration=2m --kill-at=1m --setups=b   # shortened
 *
 * Environment: STATION_LOAD_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" passes node flags to the consoles (profiling);
 * STATION_LOAD_TRACE=1 has the consoles write their per-alert stage times (agent/station/trace.ts) and adds
 * where the page delay goes (`stages`: sent → received → committed → notified → read back → pushed → on the page).
 * Flags: --hosts=400 --cameras=20 --rate=100 (events messages/s) --duration=10m --kill-at=5m --restart-after=10s
 * --setups=a,b --pg=postgres://postgres@127.0.0.1:5432/postgres (where the bench creates and drops
 * its own database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseDuration } from '../../agent/config/duration.js';
import { realThumbnails } from '../../test/helpers/station/host.js';
import { ConsoleProcess } from './station/consoles.js';
import { Fleet, type SentEvent } from './station/fleet.js';
import { PageProbe } from './station/page-probe.js';

const SAMPLE_MS = 10_000;
const TRACE = process.env['STATION_LOAD_TRACE'] === '1';

function option(name: string, fallback: string): string {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
}
function durationOption(name: string, fallback: string): number {
  const text = option(name, fallback);
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`station-load: --${name}=${text} is not a duration (e.g. 10m)`);
  return ms;
}
function intOption(name: string, fallback: number): number {
  const text = option(name, String(fallback));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`station-load: --${name}=${text} is not a positive whole number`);
  return n;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A station broker: mosquitto with the queue a station needs (a console that is slow or restarting
 * must not lose what is queued for it: the default of 1000 queued messages per client would drop).
 */
async function startBroker(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_queued_bytes 0\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const until = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > until) throw new Error('station-load: mosquitto did not listen');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `mqtt://127.0.0.1:${port}`, child };
}

/** What a store holds of the events messages the fleet sent: (host, seq) → when it was stored. */
/**
 * `kept`: SQLite keeps only the feed's newest events (FEED_LENGTH, each host a fair share) and
 * prunes the rest with their message rows, by design; these are the event keys it still holds.
 */
interface StoredMessages { rows: number; distinct: Map<string, number | null>; kept?: Set<string> }

async function readPostgres(url: string): Promise<StoredMessages> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ host: string; seq: string; at: string }>('SELECT host, seq::text AS seq, (extract(epoch FROM received_at) * 1000)::text AS at FROM event_messages');
    const distinct = new Map<string, number | null>();
    for (const row of result.rows) distinct.set(`${row.host}/${row.seq}`, Number(row.at));
    return { rows: result.rows.length, distinct };
  } finally {
    await client.end();
  }
}

function readSqlite(file: string): StoredMessages {
  const db = new Database(file, { readonly: true });
  try {
    const columns = (db.prepare('PRAGMA table_info(event_messages)').all() as { name: string }[]).map((c) => c.name);
    const at = columns.includes('received_at') ? 'received_at' : 'NULL';
    const rows = db.prepare(`SELECT host, seq, ${at} AS at FROM event_messages`).all() as { host: string; seq: number; at: string | number | null }[];
    const distinct = new Map<string, number | null>();
    for (const row of rows) distinct.set(`${row.host}/${row.seq}`, row.at === null ? null : typeof row.at === 'number' ? row.at : Date.parse(row.at));
    const kept = new Set((db.prepare('SELECT key FROM alerts').all() as { key: string }[]).map((r) => r.key));
    return { rows: rows.length, distinct, kept };
  } finally {
    db.close();
  }
}

const percentile = (values: number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
};
const round = (v: number | null) => (v === null ? null : Math.round(v));

interface Setup { name: 'a' | 'b'; consoles: number; db: 'sqlite' | 'postgres' }

async function runSetup(setup: Setup, options: { hosts: number; cameras: number; rate: number; durationMs: number; killAtMs: number; restartAfterMs: number; pgAdmin: string }): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), `minwang-station-load-${setup.name}-`));
  const broker = await startBroker(dir);
  const dbName = `minwang_load_${process.pid}_${setup.name}`;
  let dbUrl: string;
  if (setup.db === 'postgres') {
    const admin = new pg.Client({ connectionString: options.pgAdmin });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(options.pgAdmin);
    url.pathname = `/${dbName}`;
    dbUrl = url.toString();
  } else dbUrl = join(dir, 'console.db');

  const consoles: ConsoleProcess[] = [];
  const fleet = new Fleet({ url: broker.url, hosts: options.hosts, camerasPerHost: options.cameras, eventsPerS: options.rate, heartbeatMs: 30_000, thumbnails: await realThumbnails(6), alertEvery: 4 });
  let probe: PageProbe | undefined;
  const rss: { atS: number; mb: (number | null)[]; load1m: number }[] = [];
  let killedAtS: number | null = null;
  let killedAtEpochMs: number | null = null;
  let restartedAtS: number | null = null;
  try {
    const consoleArgs = (i: number) => ['--url', broker.url, '--db', dbUrl, '--client-id', `load-console-${i}`, ...(setup.consoles > 1 ? ['--share', 'load'] : [])];
    let starts = 0;
    const consoleEnv = (i: number): Record<string, string> => (TRACE ? { MINWANG_STATION_TRACE: join(dir, `trace-${i}-${starts++}.log`) } : {});
    for (let i = 0; i < setup.consoles; i++) consoles.push(await ConsoleProcess.start(`console-${i}`, await freePort(), consoleArgs(i), consoleEnv(i)));
    process.stderr.write(`station-load ${setup.name}: connecting ${options.hosts} hosts\n`);
    await fleet.connect((done) => { if (done % 100 === 0) process.stderr.write(`station-load ${setup.name}: ${done} hosts connected\n`); });
    probe = await PageProbe.open(consoles.map((c) => c.url));
    fleet.start();
    const started = performance.now();
    let nextSample = SAMPLE_MS;
    while (performance.now() - started < options.durationMs) {
      await new Promise((r) => setTimeout(r, 1000));
      const atMs = performance.now() - started;
      if (setup.consoles > 1 && killedAtS === null && atMs >= options.killAtMs) {
        consoles[1]?.kill();
        killedAtS = Math.round(atMs / 1000);
        killedAtEpochMs = Date.now();
        process.stderr.write(`station-load ${setup.name}: killed console-1 (kill -9) at ${killedAtS} s\n`);
      }
      // As systemd's Restart= would: the killed console comes back with its own session.
      if (killedAtS !== null && restartedAtS === null && atMs >= killedAtS * 1000 + options.restartAfterMs) {
        consoles[1] = await ConsoleProcess.start('console-1', await freePort(), consoleArgs(1), consoleEnv(1));
        restartedAtS = Math.round((performance.now() - started) / 1000);
        process.stderr.write(`station-load ${setup.name}: console-1 back at ${restartedAtS} s\n`);
      }
      if (atMs >= nextSample) {
        nextSample += SAMPLE_MS;
        rss.push({ atS: Math.round(atMs / 1000), mb: await Promise.all(consoles.map((c) => c.rssMb())), load1m: Math.round((loadavg()[0] ?? 0) * 10) / 10 });
        process.stderr.write(`station-load ${setup.name}: ${Math.round(atMs / 1000)} s, ${fleet.sent.length} events messages sent, RSS ${rss.at(-1)?.mb.join('/')} MB\n`);
      }
    }
    await fleet.stop();
    // Let the surviving consoles store what is still queued for them (bounded).
    let stored: StoredMessages = { rows: 0, distinct: new Map() };
    const drainUntil = performance.now() + 120_000;
    while (performance.now() < drainUntil) {
      stored = setup.db === 'postgres' ? await readPostgres(dbUrl) : readSqlite(dbUrl);
      if (countMissing(fleet.sent, stored).missing === 0) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const seen = await probe.seen();
    const work = await probe.work();
    // Let the consoles write out their last trace lines (once a second).
    if (TRACE) await new Promise((r) => setTimeout(r, 1500));
    const summary = summarise(setup, fleet.sent, stored, seen, rss, killedAtS, options);
    if (killedAtEpochMs !== null) summary.aroundKill = aroundKill(fleet.sent, stored, seen[0] ?? {}, killedAtEpochMs);
    return { ...summary, restartedAtS, pageWork: work, ...(TRACE ? { stages: await stages(dir, fleet.sent, seen[0] ?? {}) } : {}) };
  } finally {
    await probe?.close();
    await fleet.disconnect().catch(() => undefined);
    for (const c of consoles) await c.stop();
    broker.child.kill('SIGTERM');
    if (setup.db === 'postgres') {
      const admin = new pg.Client({ connectionString: options.pgAdmin });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Messages sent and not stored. With SQLite's pruning (`kept`), a message of an event the store no
 * longer holds counts as pruned when its event started before the oldest event of that host the
 * store still holds, and as missing otherwise.
 */
function countMissing(sent: SentEvent[], stored: StoredMessages): { missing: number; pruned: number } {
  const kept = stored.kept;
  const startOf = new Map<string, number>();
  for (const s of sent) if (!startOf.has(`${s.host}/${s.id}`)) startOf.set(`${s.host}/${s.id}`, s.sentAtMs);
  const oldestKept = new Map<string, number>();
  if (kept !== undefined) {
    for (const key of kept) {
      const start = startOf.get(key);
      const host = key.slice(0, key.indexOf('/'));
      if (start !== undefined && start < (oldestKept.get(host) ?? Infinity)) oldestKept.set(host, start);
    }
  }
  let missing = 0;
  let pruned = 0;
  for (const s of sent) {
    if (stored.distinct.has(`${s.host}/${s.seq}`)) continue;
    const key = `${s.host}/${s.id}`;
    if (kept !== undefined && !kept.has(key) && startOf.get(key)! < (oldestKept.get(s.host) ?? -Infinity)) pruned++;
    else missing++;
  }
  return { missing, pruned };
}

function summarise(setup: Setup, sent: SentEvent[], stored: StoredMessages, seen: Record<string, number>[], rss: { atS: number; mb: (number | null)[]; load1m: number }[], killedAtS: number | null, options: { hosts: number; cameras: number; rate: number; durationMs: number }): Record<string, unknown> {
  const lags: number[] = [];
  for (const s of sent) {
    const at = stored.distinct.get(`${s.host}/${s.seq}`);
    if (at !== undefined && at !== null) lags.push(at - s.sentAtMs);
  }
  const { missing, pruned } = countMissing(sent, stored);
  // Page updates: alert rows, on the page of the console that was never killed (the killed one's
  // page died with it).
  const livePages = killedAtS === null ? seen : seen.slice(0, 1);
  const pageLags: number[] = [];
  let alertsSent = 0;
  let alertsSeen = 0;
  for (const s of sent) {
    if (s.type !== 'new' || !s.alert) continue;
    alertsSent++;
    for (const page of livePages) {
      const at = page[`${s.host}/${s.id}`];
      if (at === undefined) continue;
      alertsSeen++;
      pageLags.push(at - s.sentAtMs);
    }
  }
  const warm = rss.filter((r) => r.atS * 1000 >= Math.min(120_000, options.durationMs / 5));
  const firstConsole = warm.map((r) => r.mb[0]).filter((v): v is number => typeof v === 'number');
  return {
    setup: setup.name === 'a' ? 'one console, embedded SQLite' : 'two consoles, PostgreSQL, shared subscription, one killed (kill -9)',
    hosts: options.hosts, camerasPerHost: options.cameras, eventsMessagesPerS: options.rate, durationS: options.durationMs / 1000,
    killedAtS,
    messages: { sent: sent.length, stored: stored.distinct.size, missing, doubled: stored.rows - stored.distinct.size,
      ...(stored.kept === undefined ? {} : { prunedByDesign: pruned, note: 'SQLite keeps the newest 1000 events (the feed) and prunes older ones with their messages; missing counts only messages of events newer than the oldest its host still keeps' }) },
    ingestLagMs: lags.length === 0 ? 'not measured: this store keeps no arrival time' : { p50: round(percentile(lags, 50)), p95: round(percentile(lags, 95)), max: round(Math.max(...lags)), measured: lags.length },
    pageUpdateMs: { p50: round(percentile(pageLags, 50)), p95: round(percentile(pageLags, 95)), max: pageLags.length === 0 ? null : round(Math.max(...pageLags)), alertsSent, rowsSeen: alertsSeen, pages: livePages.length },
    rssMb: { console0AfterWarmUp: { first: firstConsole[0] ?? null, last: firstConsole.at(-1) ?? null, max: firstConsole.length === 0 ? null : Math.max(...firstConsole) }, console0SecondHalf: secondHalf(rss, options.durationMs), series: rss.filter((_, i) => i % 6 === 0) },
    hostLoadAverage1m: { max: Math.max(...rss.map((r) => r.load1m)), note: '2 cores run the fleet, broker, consoles, PostgreSQL and Chromium together' },
  };
}

/** Console 0's RSS over the run's second half: first, last, and the least-squares slope (flat: about 0). */
function secondHalf(rss: { atS: number; mb: (number | null)[] }[], durationMs: number): Record<string, number | null> {
  const points = rss.filter((r) => r.atS * 1000 >= durationMs / 2 && typeof r.mb[0] === 'number').map((r) => [r.atS / 60, r.mb[0] as number] as const);
  if (points.length < 2) return { first: null, last: null, mbPerMinute: null };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [mx, my] = [mean(points.map((p) => p[0])), mean(points.map((p) => p[1]))];
  const slope = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return { first: points[0]![1], last: points.at(-1)![1], mbPerMinute: Math.round(slope * 100) / 100 };
}

/** Around the kill: how late the messages sent from 10 s before it to 20 s after it were, against all the others. */
function aroundKill(sent: SentEvent[], stored: StoredMessages, page: Record<string, number>, killedAtMs: number): Record<string, unknown> {
  const near = (s: SentEvent) => s.sentAtMs >= killedAtMs - 10_000 && s.sentAtMs < killedAtMs + 20_000;
  const figures = (pick: (s: SentEvent) => boolean) => {
    const ingest: number[] = [];
    const shown: number[] = [];
    for (const s of sent.filter(pick)) {
      const at = stored.distinct.get(`${s.host}/${s.seq}`);
      if (at !== undefined && at !== null) ingest.push(at - s.sentAtMs);
      const onPage = s.type === 'new' && s.alert ? page[`${s.host}/${s.id}`] : undefined;
      if (onPage !== undefined) shown.push(onPage - s.sentAtMs);
    }
    const stats = (xs: number[]) => ({ p95: round(percentile(xs, 95)), max: xs.length === 0 ? null : round(Math.max(...xs)), measured: xs.length });
    return { ingestLagMs: stats(ingest), pageUpdateMs: stats(shown) };
  };
  return { window: 'sent from 10 s before the kill to 20 s after it', near: figures(near), elsewhere: figures((s) => !near(s)) };
}

/**
 * Where the page delay of console-0's page goes, from the consoles' traces: per alert shown on that
 * page, the time of each stage (first occurrence). Own: console-0 received it from the broker;
 * followed: another console did and console-0 read it back after the NOTIFY.
 */
async function stages(dir: string, sent: SentEvent[], seen: Record<string, number>): Promise<Record<string, unknown>> {
  const byConsole = [new Map<string, number>(), new Map<string, number>()];
  const sse: { atMs: number; bytes: number }[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.startsWith('trace-'))) {
    const index = Number(file.split('-')[1]);
    const times = byConsole[index] ?? new Map<string, number>();
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      const [at, stage, key] = line.split(' ');
      if (at === undefined || stage === undefined || key === undefined) continue;
      if (stage === 'sse') {
        if (index === 0) sse.push({ atMs: Number(at), bytes: Number(key) });
        continue;
      }
      const k = `${stage} ${key}`;
      if (!times.has(k)) times.set(k, Number(at));
    }
  }
  const [c0, c1] = byConsole as [Map<string, number>, Map<string, number>];
  const spans: Record<string, number[]> = {};
  const add = (name: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return;
    (spans[name] ??= []).push(to - from);
  };
  for (const s of sent) {
    if (s.type !== 'new' || !s.alert) continue;
    const key = `${s.host}/${s.id}`;
    const shown = seen[key];
    if (shown === undefined) continue;
    const own = c0.get(`recv ${key}`);
    const push = c0.get(`push ${key}`);
    if (own !== undefined) {
      add('own: sent → received', s.sentAtMs, own);
      add('own: received → pushed', own, push);
      add('own: received → committed', own, c0.get(`commit ${key}`));
    } else {
      const recv = c1.get(`recv ${key}`);
      const commit = c1.get(`commit ${key}`);
      const notified = c0.get(`notified ${key}`);
      const read = c0.get(`read ${key}`);
      add('followed: sent → received (other console)', s.sentAtMs, recv);
      add('followed: received → committed (other console)', recv, commit);
      add('followed: committed → notified', commit, notified);
      add('followed: notified → read back', notified, read);
      add('followed: read back → pushed', read, push);
    }
    add(own !== undefined ? 'own: pushed → on the page' : 'followed: pushed → on the page', push, shown);
    add(own !== undefined ? 'own: sent → on the page' : 'followed: sent → on the page', s.sentAtMs, shown);
  }
  const out: Record<string, unknown> = {};
  // Alerts that never reached the page: how far each got (ms after it was sent), a few of them.
  const unseen = sent.filter((s) => s.type === 'new' && s.alert && seen[`${s.host}/${s.id}`] === undefined);
  out['unseen'] = { n: unseen.length, examples: unseen.slice(0, 8).map((s) => {
    const key = `${s.host}/${s.id}`;
    const at: Record<string, number> = {};
    for (const [i, times] of byConsole.entries()) {
      for (const stage of ['recv', 'commit', 'notified', 'read', 'push']) {
        const t = times.get(`${stage} ${key}`);
        if (t !== undefined) at[`console${i}.${stage}`] = t - s.sentAtMs;
      }
    }
    return { key, sentAtS: Math.round(s.sentAtMs / 1000), ...at };
  }) };
  for (const [name, values] of Object.entries(spans)) out[name] = { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), n: values.length };
  const bytes = sse.map((x) => x.bytes);
  out['sseQueuedBytes'] = { max: bytes.length === 0 ? null : Math.max(...bytes), series: sse.filter((_, i) => i % 6 === 0).map((x) => x.bytes) };
  return out;
}

export async function run(): Promise<Record<string, unknown>> {
  const options = {
    hosts: intOption('hosts', 400), cameras: intOption('cameras', 20), rate: intOption('rate', 100),
    durationMs: durationOption('duration', '10m'), killAtMs: durationOption('kill-at', '5m'), restartAfterMs: durationOption('restart-after', '10s'),
    pgAdmin: option('pg', 'postgres://postgres@127.0.0.1:5432/postgres'),
  };
  const wanted = option('setups', 'a,b').split(',');
  const results: Record<string, unknown> = {};
  if (wanted.includes('a')) results['a'] = await runSetup({ name: 'a', consoles: 1, db: 'sqlite' }, options);
  if (wanted.includes('b')) results['b'] = await runSetup({ name: 'b', consoles: 2, db: 'postgres' }, options);
  return results;
}
