/**
 * How fast one console's page hears of what another console stored, at low load: two
 * `minwang console --web` processes (built dist) on one PostgreSQL and one mosquitto, sharing the
 * streams. A host publishes one alert at a time; we time (a) publish → the alert row pushed on
 * console B's page (/events), whichever console ingested it, and (b) the acknowledgement POST on
 * console A → the acknowledged row on B's page. Not the load bench: one event at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/cli.js';
import { TestBroker } from '../../test/helpers/mosquitto.js';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import { EventStream, getText, startWebConsole, stopWebConsole, type ConsoleProcess } from '../../test/helpers/station/console.js';
import { SimulatedHost, realThumbnails } from '../../test/helpers/station/host.js';

const ROUNDS = 30;

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-'));
  const broker = await TestBroker.start({ dir: join(dir, 'broker') });
  const db = await createTestDatabase();
  const consoles: ConsoleProcess[] = [];
  const host = new SimulatedHost('bench-01', broker.url, 1);
  try {
    for (const name of ['desk-a', 'desk-b']) consoles.push(await startWebConsole(['--db', db.url, '--share', 'desks', '--client-id', name, '--url', broker.url]));
    const [a, b] = consoles as [ConsoleProcess, ConsoleProcess];
    const page = new EventStream(b.base);
    await host.connect();
    const [jpeg] = await realThumbnails(1);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec((await getText(`${a.base}/`)).body)![1]!;
    const alertMs: number[] = [];
    const ackMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const key = `bench-01/e${i}`;
      const published = performance.now();
      await host.personEvent(`e${i}`, 'gate', jpeg!);
      await waitFor(() => page.text.includes(`data-key=\\"${key}\\"`), 10_000, 'the alert on page B');
      alertMs.push(performance.now() - published);
      const clicked = performance.now();
      const res = await fetch(`${a.base}/ack`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf }, body: new URLSearchParams({ key }).toString(), redirect: 'manual' });
      if (res.status >= 400) throw new Error(`ack answered ${res.status}`);
      await waitFor(() => new RegExp(`"key":"${key}","html":"[^\\n]*acked-by`).test(page.text), 10_000, 'the acknowledgement on page B');
      ackMs.push(performance.now() - clicked);
    }
    page.close();
    return { rounds: ROUNDS, gatherMs: 150, alertToOtherPageMs: percentiles(alertMs), ackToOtherPageMs: percentiles(ackMs) };
  } finally {
    await host.stop();
    for (const c of consoles) await stopWebConsole(c);
    await db.drop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p95: at(0.95), max: Math.round(sorted.at(-1)!) };
}
