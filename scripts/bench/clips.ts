/**
 * Event clips (issue 16, docs/clips.md "Measured"): `npm run bench -- clips`.
 *
 * 1. Recording: 8 RTSP cameras (relays of vtest.avi, each from its own offset) recorded by the
 *    agent's own ClipMaker (one SegmentRecorder ffmpeg per camera, stream copy into 2 s MPEG-TS
 *    segments). The recorders' CPU time from /proc/<pid>/stat over wall time, as a share of one
 *    core; the relays (this process) and their publishing ffmpegs are reported apart.
 * 2. A 20 s clip: cut from the ring (stream copy; and re-encoded with a privacy mask), then fetched
 *    by the station's ClipFetcher with `cmd/events/clip` over a real mosquitto until its sha256 matches.
 * 3. Alert latency, publish → station, idle and while a clip transfer is in flight, on loopback
 *    and through an uplink limited to `BENCH_CLIPS_UPLINK_KBIT` (default 2000), for several
 *    station chunk sizes and host `clips.uplinkShare` settings; the host runs in its own Node
 *    process (scripts/bench/clips/host.ts), the station clients in this one.
 *
 * Parts 1 and 2 share this one Node process (relays, host link, station) and the machine's
 * cores; `load1m` says how busy the machine was. Takes about 10 minutes, so it runs only when named. Seconds of recording: `BENCH_CLIPS_RECORD_SECONDS` (60);
 * the uplink's settings `BENCH_CLIPS_UPLINK_SETTINGS` (`chunkBytes:uplinkShare[:chunkTimeMs],...`, the last the host's `clips.chunkTime`) and blocks `BENCH_CLIPS_UPLINK_BLOCKS` (2);
 * `BENCH_CLIPS_BROKER_NODELAY=0`: the broker without `set_tcp_nodelay` (mosquitto's default).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../agent/config/load.js';
import { DEFAULT_CLIPS } from '../../agent/config/sections/clips.js';
import { silentLogger } from '../../agent/core/logger.js';
import { rtspRecordArgs } from '../../agent/edge/cameras/rtsp-args.js';
import { ClipMaker } from '../../agent/edge/clips/clip-maker.js';
import type { ClipInfo } from '../../agent/link/contract/v1.js';
import { MqttStationLink } from '../../agent/link/mqtt/link.js';
import { realHostPorts } from '../../agent/ports/index.js';
import { ClipFetcher, STATION_CHUNK_BYTES } from '../../agent/station/clip-fetcher.js';
import { footage } from '../../test/helpers/footage.js';
import { TestBroker } from '../../test/helpers/mosquitto.js';
import { alertLatency, HostProcess, round, sleep, until } from './clips/latency.js';
import { cpuSeconds, encodeLikeACamera, ReplayCamera, uplinkProcess } from './clips/rig.js';

const CAMERAS = 8;
const RECORD_S = Number(process.env['BENCH_CLIPS_RECORD_SECONDS'] ?? 60);
const UPLINK_KBIT = Number(process.env['BENCH_CLIPS_UPLINK_KBIT'] ?? 2000);
const CLIP_S = 20;
/** Fetches of each cut clip, timed (`BENCH_CLIPS_FETCHES`, 1): paced to the default clips.uplinkShare, they are slow. */
const FETCHES = Number(process.env['BENCH_CLIPS_FETCHES'] ?? 1);
/** Alert blocks per condition (idle, in flight) on loopback: `BENCH_CLIPS_BLOCKS` (3); the uplink has 2. */
const BLOCKS = Number(process.env['BENCH_CLIPS_BLOCKS'] ?? 3);
/** Link settings measured on loopback (`BENCH_CLIPS_LOOPBACK_SETTINGS`, `none` for none): the station's chunk, the host's `clips.uplinkShare` (1: no pacing) and `clips.chunkTime`. */
const LOOPBACK_SETTINGS = settings(process.env['BENCH_CLIPS_LOOPBACK_SETTINGS'] ?? '65536:1,16384:1,16384:0.1');
const UPLINK_SETTINGS = settings(process.env['BENCH_CLIPS_UPLINK_SETTINGS'] ?? '65536:1,16384:1,16384:0.25,16384:0.1,65536:0.1');
/** Alert blocks per condition through the uplink: `BENCH_CLIPS_UPLINK_BLOCKS` (2, of 40 alerts 250 ms apart). */
const UPLINK_BLOCKS = Number(process.env['BENCH_CLIPS_UPLINK_BLOCKS'] ?? 2);
/** The broker with `set_tcp_nodelay true` (`BENCH_CLIPS_BROKER_NODELAY`, 1) as shipped; `0`: mosquitto's default, without it. */
const BROKER_NODELAY = (process.env['BENCH_CLIPS_BROKER_NODELAY'] ?? '1') !== '0';

interface LinkSetting { chunkBytes: number; uplinkShare: number; chunkTimeMs: number }

/** `chunkBytes:uplinkShare[:chunkTimeMs],...` (the host's `clips.chunkTime`, default the config's). */
function settings(text: string): LinkSetting[] {
  if (text === 'none') return [];
  return text.split(',').map((pair) => {
    const [chunkBytes, uplinkShare, chunkTimeMs = DEFAULT_CLIPS.chunkTime] = pair.split(':').map(Number);
    if (chunkBytes === undefined || uplinkShare === undefined || !Number.isFinite(chunkBytes + uplinkShare + chunkTimeMs)) {
      throw new Error(`bench: BENCH_CLIPS_UPLINK_SETTINGS: ${pair} is not chunkBytes:uplinkShare[:chunkTimeMs]`);
    }
    return { chunkBytes, uplinkShare, chunkTimeMs };
  });
}
const MASK = [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]] as [number, number][][];
const ports = realHostPorts();

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-clips-'));
  // As the shipped config/mosquitto/mosquitto.conf: TCP_NODELAY on the broker's side too (docs/clips.md, Measured);
  // BENCH_CLIPS_BROKER_NODELAY=0 runs mosquitto as it comes (a stock broker, without set_tcp_nodelay).
  const broker = await TestBroker.start({ dir: join(dir, 'broker'), listener: ['allow_anonymous true', ...(BROKER_NODELAY ? ['set_tcp_nodelay true'] : [])] });
  const cameras = Array.from({ length: CAMERAS }, () => new ReplayCamera());
  const stops: (() => Promise<unknown>)[] = [];
  try {
    process.stderr.write('bench: clips: encoding vtest.avi as a camera sends it...\n');
    const encoded = join(dir, 'vtest-h264.mkv');
    await encodeLikeACamera(footage('opencv/vtest.avi'), encoded);
    for (const [i, camera] of cameras.entries()) await camera.start(encoded, (i * 9) % 75);
    await until(() => cameras.every((c) => c.relay.publishing), 20_000, 'the relays to receive their streams');

    const clipsDir = join(dir, 'host', 'clips');
    const link = hostLink('bench', broker.url, join(dir, 'host'));
    const clips = new ClipMaker({
      settings: { ...DEFAULT_CLIPS, dir: clipsDir, disk: clipsDir, endAfter: 5000 },
      cameras: cameras.map((c, i) => ({
        id: `c${i}`, privacyMasks: i === 1 ? MASK : [],
        record: { args: rtspRecordArgs({ url: c.url, timeoutMs: 5000, dir: join(clipsDir, 'ring', `c${i}`), segmentMs: DEFAULT_CLIPS.segment }), secrets: [] },
      })),
      link, alerts: { raise: (kind, subject, change) => process.stderr.write(`bench: clips: health alert ${kind} ${subject}: ${change.message}\n`), clear: () => undefined },
      fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
    });
    await link.start();
    await clips.start();
    stops.push(async () => { await clips.stop(); await link.stop(); });

    process.stderr.write(`bench: clips: recording ${CAMERAS} cameras for ${RECORD_S} s...\n`);
    const recording = await measureRecording(clips, cameras, clipsDir);
    await until(() => (clips.summary('c0')?.heldS ?? 0) >= CLIP_S + 8 && (clips.summary('c1')?.heldS ?? 0) >= CLIP_S + 8, 120_000, 'the ring to hold the clip');

    process.stderr.write('bench: clips: cutting and fetching a 20 s clip...\n');
    const fetcher = new ClipFetcher({ broker: { url: broker.url }, connect: ports.mqtt, dir: join(dir, 'station'), clock: ports.clock, logger: silentLogger() });
    await fetcher.start();
    stops.push(() => fetcher.stop());
    await sleep(500); // the fetcher's subscription
    const plain = await cutAndSend(clips, fetcher, 'c0', 'c0-bench-plain');
    const masked = await cutAndSend(clips, fetcher, 'c1', 'c1-bench-masked');

    // The recording stops: from here on the host is a process of its own, answering from the stored clips.
    await stops.shift()?.();
    const loopback: Record<string, unknown> = {};
    for (const [i, setting] of LOOPBACK_SETTINGS.entries()) {
      process.stderr.write(`bench: clips: alert latency on loopback, ${setting.chunkBytes} B chunks, uplinkShare ${setting.uplinkShare}...\n`);
      loopback[label(setting)] = await latencyWith({ ...setting, host: `bench-fast-${i}`, url: broker.url, stationUrl: broker.url, dir, clipsDir, clip: plain.clip, blocks: BLOCKS, alertsPerBlock: 50, paceMs: 100 });
    }

    process.stderr.write(`bench: clips: alert latency through a ${UPLINK_KBIT} kbit/s uplink...\n`);
    const uplink = await uplinkProcess(broker.port, UPLINK_KBIT * 1000);
    const uplinkPort = uplink.port;
    stops.push(() => uplink.stop());
    const limited: Record<string, unknown> = { uplinkKbitPerS: UPLINK_KBIT };
    for (const [i, setting] of UPLINK_SETTINGS.entries()) {
      process.stderr.write(`bench: clips: uplink, ${setting.chunkBytes} B chunks, uplinkShare ${setting.uplinkShare}...\n`);
      limited[label(setting)] = await latencyWith({ ...setting, host: `bench-slow-${i}`, url: `mqtt://127.0.0.1:${uplinkPort}`, stationUrl: broker.url, dir, clipsDir, clip: plain.clip, blocks: UPLINK_BLOCKS, alertsPerBlock: 40, paceMs: 250 });
    }

    return {
      brokerNodelay: BROKER_NODELAY,
      recording,
      clip20s: { plain: plain.figures, masked: masked.figures },
      alertLatency: { loopback, [`uplink${UPLINK_KBIT}kbit`]: limited, hostProcess: 'the host (link, outbox, clip answers) runs in its own Node process; the station clients in the bench process' },
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    for (const camera of cameras) await camera.stop();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function hostLink(host: string, url: string, dataDir: string): MqttStationLink {
  const config = parseConfigText(`host: {id: ${host}}\nmqtt: {url: "${url}", reconnect: {min: 200ms, max: 1s}}\nstorage: {dataDir: "${dataDir}"}\n`, 'bench.yaml');
  return new MqttStationLink({ config, ports, logger: silentLogger(), version: 'bench' });
}

async function measureRecording(clips: ClipMaker, cameras: ReplayCamera[], clipsDir: string): Promise<Record<string, unknown>> {
  await until(() => cameras.every((_, i) => (clips.summary(`c${i}`)?.heldS ?? 0) >= 4), 60_000, 'every ring to hold two segments');
  const pids = clips.pids();
  const publishers = cameras.map((c) => c.publisher?.pid);
  const recorders0 = pids.map(cpuSeconds);
  const publishers0 = publishers.map(cpuSeconds);
  const bytes0 = await ringBytes(clipsDir);
  const self0 = process.cpuUsage();
  const load = [round(loadavg()[0] ?? 0)];
  const t0 = performance.now();
  for (let s = 0; s < RECORD_S; s += 10) {
    await sleep(Math.min(10, RECORD_S - s) * 1000);
    load.push(round(loadavg()[0] ?? 0));
  }
  const wallS = (performance.now() - t0) / 1000;
  const recorders = pids.map((pid, i) => used(recorders0[i], cpuSeconds(pid)));
  const publishing = publishers.map((pid, i) => used(publishers0[i], cpuSeconds(pid)));
  const self = process.cpuUsage(self0);
  const restarted = clips.pids().some((pid, i) => pid !== pids[i]);
  const share = (seconds: number) => round((seconds / wallS) * 100);
  const total = recorders.reduce((a, b) => a + b, 0);
  const bytes = await ringBytes(clipsDir);
  return {
    cameras: CAMERAS,
    wallS: round(wallS),
    stream: 'vtest.avi 768x576, 10 fps, H.264 (x264 ultrafast, key frame every 1 s), relayed over RTSP/TCP',
    recordersPercentOfOneCore: { total: share(total), perCamera: share(total / CAMERAS), eachCamera: recorders.map(share) },
    recorderRestarted: restarted,
    ringWrittenKbitPerSPerCamera: round(((bytes - bytes0) * 8) / 1000 / wallS / CAMERAS),
    notCounted: {
      publishersPercentOfOneCore: share(publishing.reduce((a, b) => a + b, 0)),
      relaysAndThisProcessPercentOfOneCore: share((self.user + self.system) / 1e6),
      note: 'the 8 relays run in this Node process (with the host link and the ring upkeep); the publishers are the simulated cameras',
    },
    load1m: load,
  };
}

function used(before: number | undefined, after: number | undefined): number {
  return before === undefined || after === undefined ? Number.NaN : after - before;
}

async function ringBytes(clipsDir: string): Promise<number> {
  let bytes = 0;
  for (const camera of await readdir(join(clipsDir, 'ring'))) {
    for (const name of await readdir(join(clipsDir, 'ring', camera)).catch(() => [] as string[])) {
      bytes += await stat(join(clipsDir, 'ring', camera, name)).then((s) => s.size, () => 0);
    }
  }
  return bytes;
}

/** A 20 s event window that ended 3 s ago (its post-roll segment complete): cut, then fetched 3 times. */
async function cutAndSend(clips: ClipMaker, fetcher: ClipFetcher, camera: string, event: string): Promise<{ clip: { event: string; info: ClipInfo }; figures: Record<string, unknown> }> {
  const { preRoll, postRoll, segment } = DEFAULT_CLIPS;
  const lastSeenAt = new Date(Date.now() - postRoll - segment - 1000);
  const startedAt = new Date(lastSeenAt.getTime() - (CLIP_S * 1000 - preRoll - postRoll));
  const load1m = round(loadavg()[0] ?? 0);
  const t0 = performance.now();
  const info = await clips.clip({ camera, event, startedAt, lastSeenAt });
  const cutMs = performance.now() - t0;
  if (info === undefined) throw new Error(`bench: no clip was cut for ${camera}`);
  const transfers: { ms: number; MBps: number }[] = [];
  for (let i = 0; i < FETCHES; i++) {
    await rm(fetcher.path('bench', event), { force: true });
    const t1 = performance.now();
    const path = await fetcher.fetch('bench', event, info);
    const ms = performance.now() - t1;
    const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
    if (sha256 !== info.sha256) throw new Error(`bench: the fetched clip of ${event} does not match its sha256`);
    transfers.push({ ms: Math.round(ms), MBps: round(info.bytes / 1e6 / (ms / 1000)) });
  }
  return {
    clip: { event, info },
    figures: {
      durationS: info.durationS, bytes: info.bytes, cutMs: Math.round(cutMs),
      chunkBytes: STATION_CHUNK_BYTES, uplinkShare: DEFAULT_CLIPS.uplinkShare, chunks: Math.ceil(info.bytes / STATION_CHUNK_BYTES), transfers, sha256Verified: true, load1m,
    },
  };
}

function label(setting: LinkSetting): string {
  return `chunks${setting.chunkBytes / 1024}KiB_share${setting.uplinkShare}${setting.chunkTimeMs === DEFAULT_CLIPS.chunkTime ? '' : `_chunkTime${setting.chunkTimeMs}ms`}`;
}

interface LatencySetting extends LinkSetting { host: string; url: string; stationUrl: string; dir: string; clipsDir: string; clip: { event: string; info: ClipInfo }; blocks: number; alertsPerBlock: number; paceMs: number }

/** A host process with this `clips.uplinkShare` (reaching the broker at `url`), a station asking for chunks of `chunkBytes`: alert latency idle and in flight. */
async function latencyWith(setting: LatencySetting): Promise<Record<string, unknown>> {
  const dataDir = join(setting.dir, setting.host);
  await mkdir(dataDir, { recursive: true });
  const host = new HostProcess({ host: setting.host, url: setting.url, dataDir, clipsDir: setting.clipsDir, uplinkShare: setting.uplinkShare, chunkTimeMs: setting.chunkTimeMs });
  try {
    await host.next('started');
    return { chunkBytes: setting.chunkBytes, uplinkShare: setting.uplinkShare, chunkTimeMs: setting.chunkTimeMs, ...await alertLatency({ host, stationUrl: setting.stationUrl, fetcher: { url: setting.stationUrl, chunkBytes: setting.chunkBytes, dir: join(dataDir, 'station') }, clip: setting.clip, blocks: setting.blocks, alertsPerBlock: setting.alertsPerBlock, paceMs: setting.paceMs }) };
  } finally {
    await host.stop();
  }
}
