/**
 * Alert latency with and without a clip transfer in flight: the host publishes person alerts
 * (`events`, type `new`, `alert: true`) through its real link and durable outbox at a steady
 * pace; a station client times each from the publish call to its arrival. Blocks of alerts
 * alternate between an idle link and one where the station's ClipFetcher fetches a clip over
 * and over, so both conditions see the same background load on a shared machine.
 */
import mqtt from 'mqtt';
import { rm, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClipInfo, EventBody } from '../../../agent/link/contract/v1.js';
import type { MqttStationLink } from '../../../agent/link/mqtt/link.js';
import type { ClipFetcher } from '../../../agent/station/clip-fetcher.js';

export interface LatencyOptions {
  host: string;
  /** The station's broker URL (never through a limited uplink: that is the host's side). */
  stationUrl: string;
  link: MqttStationLink;
  fetcher: ClipFetcher;
  clip: { event: string; info: ClipInfo };
  blocks: number;
  alertsPerBlock: number;
  paceMs: number;
}

interface Block { transfer: boolean; latencies: number[]; lost: number; clipBytes: number; load1m: number; loopDelayP99Ms: number }

export async function alertLatency(options: LatencyOptions): Promise<Record<string, unknown>> {
  const { host } = options;
  const sent = new Map<string, number>();
  const arrived = new Map<string, number>();
  const station = mqtt.connect(options.stationUrl, { protocolVersion: 5, clientId: `bench-station-${host}` });
  station.on('message', (topic, payload) => {
    const at = performance.now();
    const id = (JSON.parse(payload.toString()) as { id?: string }).id;
    if (id !== undefined && sent.has(id)) arrived.set(id, at);
  });
  await new Promise<void>((resolve, reject) => { station.once('connect', () => resolve()); station.once('error', reject); });
  await station.subscribeAsync(`minwang/${host}/events`, { qos: 1 });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  const blocks: Block[] = [];
  let n = 0;
  for (let b = 0; b < 2 * options.blocks; b++) {
    const transfer = b % 2 === 1;
    const loop = transfer ? transferLoop(options) : undefined;
    if (loop !== undefined) await untilAsync(async () => (await loop.progress()) > 0, 30_000, 'the clip transfer to start');
    const bytes0 = (await loop?.progress()) ?? 0;
    loopDelay.reset();
    const ids: string[] = [];
    for (let i = 0; i < options.alertsPerBlock; i++) {
      const id = `c0-lat-${++n}`;
      ids.push(id);
      sent.set(id, performance.now());
      void options.link.publishEvent(alertEvent(id));
      await sleep(options.paceMs);
    }
    const clipBytes = ((await loop?.progress()) ?? 0) - bytes0;
    const loopDelayP99Ms = round(loopDelay.percentile(99) / 1e6);
    await until(() => ids.every((id) => arrived.has(id)), 10_000, 'the alerts').catch(() => undefined);
    const block: Block = {
      transfer, lost: ids.filter((id) => !arrived.has(id)).length, clipBytes, load1m: round(loadavg()[0] ?? 0), loopDelayP99Ms,
      latencies: ids.flatMap((id) => { const a = arrived.get(id); const s = sent.get(id); return a === undefined || s === undefined ? [] : [a - s]; }),
    };
    if (loop !== undefined) await loop.stop();
    blocks.push(block);
  }
  loopDelay.disable();
  await station.endAsync(true);

  const idle = summarise(blocks.filter((b) => !b.transfer), options.paceMs);
  const inFlight = summarise(blocks.filter((b) => b.transfer), options.paceMs);
  return {
    pace: `one alert every ${options.paceMs} ms, ${options.blocks} idle and ${options.blocks} in-flight blocks of ${options.alertsPerBlock}, alternating`,
    idle,
    inFlight,
    ratio: { p50: round(inFlight.p50 / idle.p50), p95: round(inFlight.p95 / idle.p95) },
    within10Percent: inFlight.p50 <= 1.1 * idle.p50 && inFlight.p95 <= 1.1 * idle.p95,
  };
}

function summarise(blocks: Block[], paceMs: number): { alerts: number; lost: number; p50: number; p95: number; max: number; mean: number; clipMBps: number; load1m: number[]; eventLoopDelayP99Ms: number[] } {
  const values = blocks.flatMap((b) => b.latencies).sort((x, y) => x - y);
  const at = (q: number) => round(values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN);
  const seconds = blocks.reduce((s, b) => s + b.latencies.length + b.lost, 0) * paceMs / 1000;
  const bytes = blocks.reduce((s, b) => s + b.clipBytes, 0);
  return {
    alerts: values.length,
    lost: blocks.reduce((s, b) => s + b.lost, 0),
    p50: at(0.5), p95: at(0.95), max: round(values.at(-1) ?? Number.NaN),
    mean: round(values.reduce((s, v) => s + v, 0) / values.length),
    clipMBps: round(bytes / 1e6 / seconds),
    load1m: blocks.map((b) => b.load1m),
    eventLoopDelayP99Ms: blocks.map((b) => b.loopDelayP99Ms),
  };
}

/**
 * Fetches the clip again and again (the saved copy deleted each time) until stopped; the fetch
 * running then completes. `progress`: clip bytes the station has received so far.
 */
function transferLoop(options: LatencyOptions): { stop: () => Promise<void>; progress: () => Promise<number> } {
  let running = true;
  let completed = 0;
  const path = options.fetcher.path(options.host, options.clip.event);
  const done = (async () => {
    while (running) {
      await rm(path, { force: true });
      await options.fetcher.fetch(options.host, options.clip.event, options.clip.info);
      completed += options.clip.info.bytes;
    }
  })();
  return {
    stop: async () => { running = false; await done; },
    progress: async () => completed + await stat(`${path}.part`).then((s) => s.size, () => 0),
  };
}

function alertEvent(id: string): EventBody {
  const ts = new Date().toISOString();
  return { ts, id, type: 'new', camera: 'c0', label: 'person', score: 0.8, box: [0.1, 0.2, 0.3, 0.6], zones: [], startedAt: ts, thumbnail: false, alert: true };
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
