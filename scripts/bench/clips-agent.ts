/**
 * The real agent's clip answers (docs/clips.md, "A delay every chunk has"): `npm run build && npm run bench -- clips-agent`.
 *
 * `minwang run` (the built agent, bin/minwang.js, with the defaults: `clips.uplinkShare` 0.1,
 * `clips.chunkTime` 5 ms) serves a clip of random bytes (`BENCH_CLIPS_AGENT_BYTES`, 1 MB) from its
 * clips directory; the station's ClipFetcher (16 KiB chunks) fetches it over loopback through
 * mosquitto with `set_tcp_nodelay true` and without it (mosquitto's default), `BENCH_CLIPS_AGENT_RUNS`
 * (2) times each, alternating. A fetch is given at most `BENCH_CLIPS_AGENT_MAX_S` (30) seconds: kB/s
 * is what arrived in that time. About a minute.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../agent/core/logger.js';
import { ClipStore } from '../../agent/edge/clips/clip-store.js';
import { realHostPorts } from '../../agent/ports/index.js';
import { ClipFetcher } from '../../agent/station/clip-fetcher.js';
import { BIN } from '../../test/helpers/cli.js';
import { TestBroker } from '../../test/helpers/mosquitto.js';
import { round, sleep } from './clips/latency.js';

const BYTES = Number(process.env['BENCH_CLIPS_AGENT_BYTES'] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_CLIPS_AGENT_RUNS'] ?? 2);
const MAX_S = Number(process.env['BENCH_CLIPS_AGENT_MAX_S'] ?? 30);
const ports = realHostPorts();

export async function run(): Promise<Record<string, unknown>> {
  if (!(BYTES > 0 && RUNS >= 1 && MAX_S > 0)) throw new Error('bench: clips-agent: BENCH_CLIPS_AGENT_BYTES, _RUNS and _MAX_S must be positive');
  const results: Record<string, unknown[]> = { nodelay: [], stock: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const nodelay of [true, false]) {
      process.stderr.write(`bench: clips-agent: run ${i + 1}, broker ${nodelay ? 'with' : 'without'} set_tcp_nodelay...\n`);
      results[nodelay ? 'nodelay' : 'stock']?.push(await fetchOnce(nodelay));
    }
  }
  return { clipBytes: BYTES, maxS: MAX_S, chunkBytes: 16_384, ...results };
}

async function fetchOnce(nodelay: boolean): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-clips-agent-'));
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const dataDir = join(dir, 'data');
    // Kept as the agent keeps a finished clip (`<dataDir>/clips/clips`, the default clips.dir), size and sha256 beside it.
    const store = new ClipStore({ fs: ports.fs, dir: join(dataDir, 'clips', 'clips'), maxBytes: Number.MAX_SAFE_INTEGER, maxAgeMs: Number.MAX_SAFE_INTEGER, clock: ports.clock });
    await store.open();
    const file = join(dir, 'ev-1.mp4');
    await writeFile(file, randomBytes(BYTES));
    const info = await store.keep('ev-1', 'gate', file, 20);
    const broker = await TestBroker.start({ dir: join(dir, 'broker'), listener: ['allow_anonymous true', ...(nodelay ? ['set_tcp_nodelay true'] : [])] });
    stops.push(() => broker.stop());
    const config = join(dir, 'config.yaml');
    await writeFile(config, `host: {id: h}\nmqtt: {url: "${broker.url}", reconnect: {min: 200ms, max: 1s}}\nstorage: {dataDir: "${dataDir}"}\n`
      + 'cameras:\n  - {id: gate, file: {path: /dev/null}, interval: 1s, detect: {enabled: false}}\n');
    const agent = spawn(process.execPath, [BIN, 'run', '--config', config], { stdio: 'ignore' });
    stops.push(async () => { agent.kill('SIGKILL'); await new Promise((resolve) => agent.once('exit', resolve)); });
    await sleep(4000); // the agent connects and subscribes
    const fetcher = new ClipFetcher({ broker: { url: broker.url }, connect: ports.mqtt, dir: join(dir, 'station'), clock: ports.clock, logger: silentLogger() });
    await fetcher.start();
    stops.push(() => fetcher.stop());
    await sleep(500); // the fetcher's subscription
    const load1m = round(loadavg()[0] ?? 0);
    const t0 = performance.now();
    let done = false;
    void fetcher.fetch('h', 'ev-1', info).then(() => { done = true; }, () => undefined);
    while (!done && performance.now() - t0 < MAX_S * 1000) await sleep(50);
    const s = (performance.now() - t0) / 1000;
    const got = done ? info.bytes : await stat(`${fetcher.path('h', 'ev-1')}.part`).then((x) => x.size, () => 0);
    return { done, bytes: got, s: round(s), kBps: round(got / 1000 / s), load1m };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
