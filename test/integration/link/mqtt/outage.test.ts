import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../helpers/cli.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/produce-events.ts', import.meta.url));
const TOTAL = 500;
/** The done-when says 30 s; MINWANG_OUTAGE_MS shortens it for a quick local run. */
const OUTAGE_MS = Number(process.env['MINWANG_OUTAGE_MS'] ?? 30_000);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

class AgentProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => { this.stdout += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { this.stderr += c.toString(); });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(config: string, from: number, to: number, intervalMs: number): AgentProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, CONFIG: config, FROM: String(from), TO: String(to), INTERVAL_MS: String(intervalMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const agent = new AgentProcess(child);
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await agent.exited;
      }
    });
    return agent;
  }

  lastQueued(): number {
    const numbers = [...this.stdout.matchAll(/^queued (\d+)$/gm)].map((m) => Number(m[1]));
    return numbers.length === 0 ? -1 : Math.max(...numbers);
  }
}

describe('store and forward through outages (real mosquitto, real agent process)', () => {
  it(`delivers all ${TOTAL} events in order, with no gap in seq, across a broker SIGKILL and an agent kill -9`, async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker'), persistence: true });
    cleanups.push(() => broker.stop());
    // A durable station session, so the broker keeps what it queued for the station too.
    const station = await Station.connect(broker.url, ['minwang/outage-host/events'], {
      clientId: 'station-outage-test', clean: false, properties: { sessionExpiryInterval: 3600 },
    });
    cleanups.push(() => station.close());
    const config = join(dir, 'config.yaml');
    await writeFile(config, [
      'host: {id: outage-host}',
      `mqtt: {url: "${broker.url}", keepalive: 2s, connectTimeout: 2s, reconnect: {min: 200ms, max: 2s}}`,
      `storage: {dataDir: "${join(dir, 'data')}"}`,
      'outbox: {historicalAfter: 2s}',
    ].join('\n'));
    const events = () => station.on('minwang/outage-host/events').map((m) => m.json() as { id: string; camera: string; seq: number; historical?: boolean });

    const first = AgentProcess.start(config, 0, TOTAL, 25);
    await waitFor(() => events().length >= 50, 30_000, 'the first 50 events at the station');
    await broker.kill();
    const brokerDownAt = Date.now();
    await waitFor(() => first.lastQueued() >= 200, 30_000, 'the agent to queue 200 events');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = AgentProcess.start(config, first.lastQueued() + 1, TOTAL, 10);
    await waitFor(() => second.stdout.includes('all queued'), 60_000, 'the restarted agent to queue the rest');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - brokerDownAt))));
    await broker.restart();

    await waitFor(() => new Set(events().map((e) => e.id)).size === TOTAL, 60_000, `all ${TOTAL} event ids at the station`).catch((err: unknown) => {
      // Say which ones, and what the second agent said, so a rare failure can be told from the broker's own loss
      // (a SIGKILLed mosquitto forgets up to `autosave_interval` 1 s of what it had acknowledged).
      const seen = new Set(events().map((e) => e.id));
      const missing = Array.from({ length: TOTAL }, (_, i) => `ev-${i}`).filter((id) => !seen.has(id));
      throw new Error(`${String(err)}: ${missing.length} missing (${missing.slice(0, 20).join(', ')}); first agent queued up to ${first.lastQueued()}; second agent stderr: ${second.stderr.slice(-1500)}`);
    });
    const received = events();
    const firstSeen = new Map<string, (typeof received)[number]>();
    for (const e of received) if (!firstSeen.has(e.id)) firstSeen.set(e.id, e);
    expect([...firstSeen.keys()].sort()).toEqual(Array.from({ length: TOTAL }, (_, i) => `ev-${i}`).sort());
    for (const camera of ['gate', 'lane', 'square']) {
      const order = [...firstSeen.values()].filter((e) => e.camera === camera).map((e) => Number(e.id.slice(3)));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    const seqs = [...new Set(received.map((e) => e.seq))].sort((a, b) => a - b);
    expect(seqs[0]).toBe(0);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(received.some((e) => e.historical === true)).toBe(true);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 180_000);
});
