/**
 * Alert latency with and without a clip transfer in flight: the host (its own Node process,
 * scripts/bench/clips/host.ts) publishes person alerts (`events`, type `new`, `alert: true`)
 * through its real link and durable outbox at a steady pace; a station client times each from
 * the publish call (wall clock, taken in the host's process) to its arrival. Blocks of alerts
 * alternate between an idle link and one where the station's ClipFetcher fetches a clip over and
 * over, so both conditions see the same background load on a shared machine.
 */
import mqtt from 'mqtt';
import { fork, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClipInfo } from '../../../agent/link/contract/v1.js';
import type { BenchHostOptions, BenchHostReply, BenchHostRequest } from './host.js';

export interface LatencyOptions {
  host: HostProcess;
  /** The station's broker URL (never through a limited uplink: that is the host's side). */
  stationUrl: string;
  /** The station's fetcher, a process of its own per in-flight block (stopped at the block's end, mid-transfer): its broker, chunk size and directory. */
  fetcher: { url: string; chunkBytes: number; dir: string };
  clip: { event: string; info: ClipInfo };
  blocks: number;
  alertsPerBlock: number;
  paceMs: number;
}

interface Block { transfer: boolean; latencies: number[]; lost: number; clipBytes: number; ms: number; load1m: number; loopDelayP99Ms: number; answers: number; answerBytes: number }

/** Wall-clock milliseconds with sub-millisecond precision, comparable with the host process's. */
const now = () => performance.timeOrigin + performance.now();

/** The bench's host in its own Node process, talked to over IPC. */
export class HostProcess {
  private readonly child: ChildProcess;
  private readonly replies: BenchHostReply[] = [];
  private wake: (() => void) | undefined;
  readonly sent = new Map<string, number>();

  constructor(readonly options: BenchHostOptions) {
    const script = fileURLToPath(new URL('./host.ts', import.meta.url));
    this.child = fork(script, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, CLIPS_HOST: JSON.stringify(options) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (reply: BenchHostReply) => {
      if (reply.kind === 'sent') this.sent.set(reply.id, reply.at);
      else this.replies.push(reply);
      this.wake?.();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(request: BenchHostRequest): void {
    this.child.send(request);
  }

  async next<K extends Exclude<BenchHostReply['kind'], 'sent'>>(kind: K, timeoutMs = 30_000): Promise<Extract<BenchHostReply, { kind: K }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.replies.findIndex((r) => r.kind === kind);
      if (index >= 0) return this.replies.splice(index, 1)[0] as Extract<BenchHostReply, { kind: K }>;
      if (this.child.exitCode !== null) throw new Error(`bench: the host process exited (${this.child.exitCode}) before '${kind}'`);
      if (performance.now() > deadline) throw new Error(`bench: no '${kind}' from the host process in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.request({ kind: 'stop' });
    await this.next('stopped').catch(() => this.child.kill('SIGKILL'));
  }
}

export async function alertLatency(options: LatencyOptions): Promise<Record<string, unknown>> {
  const { host } = options;
  const hostId = host.options.host;
  const arrived = new Map<string, number>();
  const station = mqtt.connect(options.stationUrl, { protocolVersion: 5, clientId: `bench-station-${hostId}` });
  station.on('connect', () => (station.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  station.on('message', (_topic, payload) => {
    const at = now();
    const id = (JSON.parse(payload.toString()) as { id?: string }).id;
    if (id !== undefined && id.startsWith('c0-lat-')) arrived.set(id, at);
  });
  await new Promise<void>((resolve, reject) => { station.once('connect', () => resolve()); station.once('error', reject); });
  await station.subscribeAsync(`minwang/${hostId}/events`, { qos: 1 });

  const blocks: Block[] = [];
  let n = 0;
  for (let b = 0; b < 2 * options.blocks; b++) {
    const transfer = b % 2 === 1;
    const loop = transfer ? transferLoop(options, b) : undefined;
    if (loop !== undefined) await untilAsync(async () => (await loop.progress()) > 0, 60_000, 'the clip transfer to start');
    const bytes0 = (await loop?.progress()) ?? 0;
    host.request({ kind: 'loop' });
    await host.next('loop');
    const ids: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < options.alertsPerBlock; i++) {
      const id = `c0-lat-${++n}`;
      ids.push(id);
      host.request({ kind: 'alert', id });
      await sleep(options.paceMs);
    }
    const clipBytes = ((await loop?.progress()) ?? 0) - bytes0;
    const ms = performance.now() - t0;
    host.request({ kind: 'loop' });
    const { p99Ms: loopDelayP99Ms, answers, answerBytes } = await host.next('loop');
    await until(() => ids.every((id) => arrived.has(id)), 10_000, 'the alerts').catch(() => undefined);
    const block: Block = {
      transfer, lost: ids.filter((id) => !arrived.has(id)).length, clipBytes, ms, load1m: round(loadavg()[0] ?? 0), loopDelayP99Ms, answers, answerBytes,
      latencies: ids.flatMap((id) => { const a = arrived.get(id); const s = host.sent.get(id); return a === undefined || s === undefined ? [] : [a - s]; }),
    };
    if (loop !== undefined) await loop.stop();
    blocks.push(block);
  }
  await station.endAsync(true);

  const idle = summarise(blocks.filter((b) => !b.transfer));
  const inFlight = summarise(blocks.filter((b) => b.transfer));
  return {
    pace: `one alert every ${options.paceMs} ms, ${options.blocks} idle and ${options.blocks} in-flight blocks of ${options.alertsPerBlock}, alternating`,
    idle,
    inFlight,
    ratio: { p50: round(inFlight.p50 / idle.p50), p95: round(inFlight.p95 / idle.p95) },
    within10Percent: { p50: inFlight.p50 <= 1.1 * idle.p50, p95: inFlight.p95 <= 1.1 * idle.p95 },
  };
}

function summarise(blocks: Block[]): {
  alerts: number; lost: number; p50: number; p95: number; max: number; mean: number; clipMBps: number; clipKBps: number;
  clipAnswers: number; meanAnswerBytes: number; load1m: number[]; hostEventLoopDelayP99Ms: number[];
} {
  const values = blocks.flatMap((b) => b.latencies).sort((x, y) => x - y);
  const at = (q: number) => round(values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN);
  const seconds = blocks.reduce((s, b) => s + b.ms, 0) / 1000;
  const bytes = blocks.reduce((s, b) => s + b.clipBytes, 0);
  return {
    alerts: values.length,
    lost: blocks.reduce((s, b) => s + b.lost, 0),
    p50: at(0.5), p95: at(0.95), max: round(values.at(-1) ?? Number.NaN),
    mean: round(values.reduce((s, v) => s + v, 0) / values.length),
    clipMBps: round(bytes / 1e6 / seconds),
    clipKBps: Math.round(bytes / 1e3 / seconds * 10) / 10,
    // Clip answers the host sent during the blocks (acknowledged by the broker), and their mean size on the wire (JSON).
    clipAnswers: blocks.reduce((s, b) => s + b.answers, 0),
    meanAnswerBytes: Math.round(blocks.reduce((s, b) => s + b.answerBytes, 0) / Math.max(1, blocks.reduce((s, b) => s + b.answers, 0))),
    load1m: blocks.map((b) => b.load1m),
    hostEventLoopDelayP99Ms: blocks.map((b) => b.loopDelayP99Ms),
  };
}

/**
 * A station process (scripts/bench/clips/fetch.ts) fetching the clip again and again until
 * stopped, mid-transfer. `progress`: clip bytes the station has received so far.
 */
function transferLoop(options: LatencyOptions, block: number): { stop: () => Promise<void>; progress: () => Promise<number> } {
  let completed = 0;
  let stopped = false;
  const dir = join(options.fetcher.dir, `block-${block}`);
  const host = options.host.options.host;
  const script = fileURLToPath(new URL('./fetch.ts', import.meta.url));
  const env = { ...process.env, CLIPS_FETCH: JSON.stringify({ url: options.fetcher.url, dir, host, event: options.clip.event, clip: options.clip.info, chunkBytes: options.fetcher.chunkBytes }) };
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('message', (m) => {
    if (m === 'completed') completed += options.clip.info.bytes;
    if (m === 'stopped') stopped = true;
  });
  const part = join(dir, host, 'clips', `${options.clip.event}.mp4.part`);
  return {
    stop: async () => {
      child.send('stop');
      await until(() => stopped || child.exitCode !== null, 20_000, 'the station fetcher to stop').catch(() => child.kill('SIGKILL'));
    },
    progress: async () => completed + await stat(part).then((s) => s.size, () => 0),
  };
}

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function untilAsync(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function round(v: number): number {
  return Math.round(v * 100) / 100;
}
