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
 *    and through an uplink limited to `BENCH_CLIPS_UPLINK_KBIT` (default 2000).
 *
 * Everything (host link, station clients, relays) shares this one Node process and the machine's
 * cores; `load1m` says how busy the machine was. Takes about 6 minutes, so it runs only when named. Seconds of recording: `BENCH_CLIPS_RECORD_SECONDS` (60).
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
import { ClipFetcher } from '../../agent/station/clip-fetcher.js';
import { footage } from '../../test/helpers/footage.js';
import { TestBroker } from '../../test/helpers/mosquitto.js';
import { alertLatency, round, sleep, until } from './clips/latency.js';
import { cpuSeconds, encodeLikeACamera, ReplayCamera, Uplink } from './clips/rig.js';

const CAMERAS = 8;
const RECORD_S = Number(process.env['BENCH_CLIPS_RECORD_SECONDS'] ?? 60);
const UPLINK_KBIT = Number(process.env['BENCH_CLIPS_UPLINK_KBIT'] ?? 2000);
const CLIP_S = 20;
const MASK = [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]] as [number, number][][];
const ports = realHostPorts();

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-clips-'));
  const broker = await TestBroker.start({ dir: join(dir, 'broker') });
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

    process.stderr.write('bench: clips: alert latency on loopback, idle and with a clip in flight...\n');
    const loopback = await alertLatency({ host: 'bench', stationUrl: broker.url, link, fetcher, clip: plain.clip, blocks: 4, alertsPerBlock: 50, paceMs: 100 });
    // The recording is stopped: the limited uplink is measured on the same host link, so its alerts go through the same outbox.
    await stops.shift()?.();

    process.stderr.write(`bench: clips: alert latency through a ${UPLINK_KBIT} kbit/s uplink...\n`);
    const uplink = new Uplink(broker.port, UPLINK_KBIT * 1000);
    const uplinkPort = await uplink.start();
    stops.push(() => uplink.stop());
    const limited = await limitedUplink(`mqtt://127.0.0.1:${uplinkPort}`, broker.url, join(dir, 'slow'), clipsDir, fetcher, plain.clip, stops);

    return {
      recording,
      clip20s: { plain: plain.figures, masked: masked.figures },
      alertLatency: { loopback, [`uplink${UPLINK_KBIT}kbit`]: limited },
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
  for (let i = 0; i < 3; i++) {
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
      chunkBytes: 65_536, chunks: Math.ceil(info.bytes / 65_536), transfers, sha256Verified: true, load1m,
    },
  };
}

/** The same host link and stored clip, but the host reaches the broker through a limited uplink. */
async function limitedUplink(url: string, stationUrl: string, dataDir: string, clipsDir: string, fetcher: ClipFetcher, clip: { event: string; info: ClipInfo }, stops: (() => Promise<unknown>)[]): Promise<Record<string, unknown>> {
  await mkdir(dataDir, { recursive: true });
  const link = hostLink('bench-slow', url, dataDir);
  const clips = new ClipMaker({
    settings: { ...DEFAULT_CLIPS, dir: clipsDir, disk: clipsDir, endAfter: 5000 }, cameras: [],
    link, alerts: { raise: () => undefined, clear: () => undefined },
    fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
  });
  await link.start();
  await clips.start();
  stops.push(async () => { await clips.stop(); await link.stop(); });
  await until(() => link.state().connected, 10_000, 'the host link through the uplink');
  const t0 = performance.now();
  await fetcher.fetch('bench-slow', clip.event, clip.info);
  const transferMs = performance.now() - t0;
  const latency = await alertLatency({ host: 'bench-slow', stationUrl, link, fetcher, clip, blocks: 2, alertsPerBlock: 40, paceMs: 250 });
  // A station may ask for smaller chunks: an alert then waits behind less.
  const small = new ClipFetcher({ broker: { url: stationUrl }, connect: ports.mqtt, dir: join(dataDir, 'station-8k'), clock: ports.clock, logger: silentLogger(), chunkBytes: 8192 });
  await small.start();
  stops.push(() => small.stop());
  await sleep(500);
  const smallChunks = await alertLatency({ host: 'bench-slow', stationUrl, link, fetcher: small, clip, blocks: 2, alertsPerBlock: 40, paceMs: 250 });
  return {
    uplinkKbitPerS: UPLINK_KBIT,
    clipTransfer: { bytes: clip.info.bytes, ms: Math.round(transferMs), MBps: round(clip.info.bytes / 1e6 / (transferMs / 1000)) },
    chunks64KiB: latency,
    chunks8KiB: smallChunks,
  };
}
