/**
 * Capacity with the real detector and the agent's defaults: N Digest cameras replaying real footage
 * with people moving all the time (vtest.avi, each camera at its own offset), 1 frame/s each.
 * For each N (`BENCH_CAPACITY_CAMERAS`, default 4,8,12,16) it runs the whole agent for
 * `BENCH_CAPACITY_SECONDS` (default 60) after a warm-up (`BENCH_CAPACITY_WARMUP_SECONDS`, 10) and reports, from the agent's own counters:
 * frames offered to detection, detected and dropped (per camera and in total), capture-to-tracked
 * latency p50/p95, inferences/s, detector worker utilisation, the main thread's event-loop delay,
 * and the CPU this process used. Beside it: the single-worker, no-contention inference rate (one
 * worker, nothing else running in this process) and the idle-camera cost.
 * `BENCH_CAPACITY_CAMERA` adds keys to every camera (e.g. `events: { lookAlike: 0 }`).
 *
 * The machine may be shared: `cpu.processCoresUsed` is this process's own CPU time (every thread)
 * over wall time, and `machineBusyPercent` is the whole machine (other work included). On a quiet
 * machine the two agree; when they do not, other processes took the difference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAgent } from '../../agent/app/agent.js';
import type { CameraPipeline } from '../../agent/app/camera-pipeline.js';
import { parseConfigText } from '../../agent/config/load.js';
import { detectorSchema } from '../../agent/config/sections/detector.js';
import { MemoryStationLink } from '../../test/fakes/memory-link.js';
import { silentLogger } from '../../agent/core/logger.js';
import { AlertBoard } from '../../agent/host/health/alerts.js';
import { NO_TILES } from '../../agent/edge/detection/crops.js';
import { ownOutputSetup, workerSetup } from '../../agent/edge/detection/from-config.js';
import { DetectorPool } from '../../agent/edge/detection/pool.js';
import { realHostPorts } from '../../agent/ports/index.js';
import { decodeVideoFrames } from '../../agent/field/sim/footage-frames.js';
import { HttpCameraSim } from '../../agent/field/sim/http-camera-sim.js';
import { footage } from '../../test/helpers/footage.js';
import { idleCost } from './cameras.js';
import { measurePicture } from '../../agent/edge/camera-health/picture-checks.js';
import { planRegionCrops } from '../../agent/edge/detection/crops.js';
import { cameraFilter, filterDetections } from '../../agent/edge/detection/filters.js';
import { cropToInput } from '../../agent/edge/detection/pixels.js';
import { decodeImage } from '../../agent/edge/imaging/rgb.js';
import { TfDetector } from '../../agent/edge/detection/tf-detector.js';
import { decodeGrey } from '../../agent/edge/imaging/grey.js';
import { loadInstalledModel } from '../../agent/models/store.js';
import { inputSize } from '../../agent/models/manifest.js';
import { MotionDetector } from '../../agent/edge/motion/motion-detector.js';
import { GreyHistory } from '../../agent/edge/motion/grey-history.js';
import { EventsStage } from '../../agent/edge/tracking/events-stage.js';

const COUNTS = (process.env['BENCH_CAPACITY_CAMERAS'] ?? '4,8,12,16').split(',').map(Number).filter((n) => n > 0);
/**
 * The plans compared at each camera count, one after the other: `normal` (detector.whenBusy off:
 * every busy frame on the normal crop plan, as before it existed), `merge` (the busy plan without
 * the mosaic: fewer, merged crops while frames are being dropped), `mosaic` (the busy plan with small
 * crops packed into mosaic inputs, across cameras, without pairs) and `default` (the agent's
 * defaults: the mosaic with pairs, larger crops two frames to an input). `mosaic` is not run unless asked.
 */
type Plan = 'normal' | 'merge' | 'mosaic' | 'default';
const PLAN_CONFIG: Record<Plan, string> = {
  normal: 'whenBusy: { maxShrink: 1.5 }',
  merge: 'whenBusy: { mosaic: false }',
  mosaic: 'whenBusy: { pairs: false }',
  default: '',
};
/** More `detector:` keys for every plan, as flow YAML, e.g. `model: yolov5s, tiling: { grids: [] }`. */
const DETECTOR_EXTRA = process.env['BENCH_CAPACITY_DETECTOR'] ?? '';
/** More keys for every camera (YAML flow, e.g. `events: { lookAlike: 0 }`), the per-frame breakdown's included. */
const CAMERA_EXTRA = process.env['BENCH_CAPACITY_CAMERA'] ?? '';
const cameraExtra = CAMERA_EXTRA === '' ? '' : `, ${CAMERA_EXTRA}`;
const PLANS = parsePlans(process.env['BENCH_CAPACITY_PLANS'] ?? 'normal,merge,default');
const RUN_S = Number(process.env['BENCH_CAPACITY_SECONDS'] ?? 60);
const WARMUP_S = Number(process.env['BENCH_CAPACITY_WARMUP_SECONDS'] ?? 10);
/** Another video for the busy cameras (a path), e.g. one with small scattered motion; default vtest.avi. */
const FOOTAGE = process.env['BENCH_CAPACITY_FOOTAGE'];
/** `0` skips the idle-camera and per-frame figures (quicker repeated capacity runs). */
const EXTRAS = process.env['BENCH_CAPACITY_EXTRAS'] !== '0';

export async function run(): Promise<Record<string, unknown>> {
  const vtest = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 10 });
  const scene = FOOTAGE === undefined ? vtest : await decodeVideoFrames(FOOTAGE, { fps: 10 });
  const single = await singleWorkerRate(vtest);
  const runs: Record<string, unknown>[] = [];
  for (const n of COUNTS) {
    for (const plan of PLANS) {
      process.stderr.write(`bench: capacity ${n} busy cameras, plan ${plan}, for ${RUN_S} s...\n`);
      runs.push({ plan, ...(await busyRun(n, scene, single.inferencesPerS, plan)) });
    }
  }
  return {
    conditions: {
      footage: `${FOOTAGE ?? 'opencv/vtest.avi, 768x576'}, replayed at 10 fps, each camera at its own offset; sampled at 1 frame/s`,
      detector: 'the agent defaults (nanodet 416x416, wasm, one worker per core, motion-gated regions, full frame + 2x2 tiles for whole-frame searches, and yolov5s on the full frame of a whole-frame search when not busy); plan normal sets detector.whenBusy.maxShrink 1.5 (off), plan merge sets whenBusy.mosaic false (the busy plan without the mosaic), plan mosaic sets whenBusy.pairs false (the mosaic without pairs), plan default keeps them all (2, mosaic, pairs at 3)',
      plans: PLANS,
      ...(DETECTOR_EXTRA === '' ? {} : { detectorExtra: DETECTOR_EXTRA }),
      runSeconds: RUN_S,
      warmupSeconds: WARMUP_S,
      cores: availableParallelism(),
    },
    singleWorkerNoContention: single,
    runs,
    table: runs.map((r) => tableRow(r)),
    ...(EXTRAS ? { idle: await idleCost(vtest[0] as Buffer), perFrame: await perFrameBreakdown(vtest) } : {}),
  };
}

/**
 * Where one busy camera's frame goes, stage by stage, with nothing else of the agent running: the
 * main thread's share (grey decode, motion and picture checks, tracking and publishing) and a
 * worker's share (RGB decode, crops, inference). Frames 1 s apart, as sampled. Each stage is run
 * alone, so this process's CPU time over the stage (every thread, sharp's included) is the stage's
 * cost even when other processes share the machine; wall time is given beside it.
 */
async function perFrameBreakdown(frames: Buffer[]): Promise<Record<string, unknown>> {
  const config = parseConfigText(`host: { id: bench }\nmqtt: { url: mqtt://127.0.0.1:1 }\nstorage: { dataDir: /tmp }\ncameras:\n  - { id: c0, snapshot: { url: "http://127.0.0.1:1/" }${cameraExtra} }\n`, 'bench.yaml');
  const camera = config.cameras[0] as (typeof config.cameras)[number];
  const ports = realHostPorts();
  const link = new MemoryStationLink();
  const alerts = new AlertBoard({ link, clock: ports.clock, logger: silentLogger() });
  const events = new EventsStage({ cameras: config.cameras, host: config.events, timezone: config.host.timezone, link, alerts, clock: ports.clock, scheduler: ports.scheduler, logger: silentLogger() });
  await events.start();
  const setup = workerSetup(config.detector, [camera.detect]);
  const model = await loadInstalledModel(setup.modelId);
  const input = inputSize(model.manifest.input);
  const detector = await TfDetector.create({ model, backend: 'wasm', tiling: setup.tiling, minScore: setup.minScore, fit: setup.fit });
  const filter = cameraFilter(config.detector, camera.detect);
  const motion = new MotionDetector(camera.motion);
  const greys = new GreyHistory();
  const stages = new StageTimes();
  let inferences = 0;
  let detectedFrames = 0;
  const sampled = frames.filter((_, i) => i % 10 === 0).slice(0, 40);
  for (const [i, jpeg] of sampled.entries()) {
    const grey = await stages.time('greyDecode', () => decodeGrey(jpeg, camera.motion.width));
    const found = await stages.time('motionAndChecks', () => { measurePicture(grey); return motion.detect(grey); });
    const frame = { camera: 'c0', capturedAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)), mono: i * 1000, jpeg, width: grey.sourceWidth, height: grey.sourceHeight };
    greys.add(frame.mono, grey);
    const regions = [...found.regions, ...events.lookAgain('c0', frame, (since, box) => greys.unchangedSince(since, box), 0.25)];
    if (regions.length === 0) continue;
    detectedFrames++;
    const rgb = await stages.time('rgbDecode', () => decodeImage(jpeg));
    const crops = planRegionCrops(rgb.width, rgb.height, regions, Math.max(input.width, input.height), setup.tiling);
    await stages.time('crops', async () => { for (const crop of crops) await cropToInput(rgb, crop, input.width, input.height, setup.fit); });
    const before = detector.inferences();
    // The detector decodes and crops again inside: its inference share is the rest.
    const result = await stages.time('inference', () => detector.detect(jpeg, { regions }), ['rgbDecode', 'crops']);
    inferences += detector.inferences() - before;
    await stages.time('trackingAndPublish', () => events.observe(frame, filterDetections(result.detections, filter)));
  }
  await events.stop();
  detector.dispose();
  return {
    what: 'one busy camera (vtest 768x576), frames 1 s apart; per stage: CPU ms (this process, all threads) and wall ms',
    framesSampled: sampled.length,
    framesDetected: detectedFrames,
    inferencesPerDetectedFrame: round(inferences / Math.max(1, detectedFrames)),
    ...stages.summary(sampled.length),
  };
}

/** CPU and wall time per stage, each stage run alone. */
class StageTimes {
  private readonly samples = new Map<string, { cpu: number[]; wall: number[] }>();

  /** `minus`: stages whose last sample ran again inside this one, taken off it. */
  async time<T>(stage: string, work: () => Promise<T> | T, minus: readonly string[] = []): Promise<T> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await work();
    const cpu = process.cpuUsage(cpu0);
    let cpuMs = (cpu.user + cpu.system) / 1000;
    let wallMs = performance.now() - t0;
    for (const m of minus) {
      cpuMs -= this.samples.get(m)?.cpu.at(-1) ?? 0;
      wallMs -= this.samples.get(m)?.wall.at(-1) ?? 0;
    }
    const s = this.samples.get(stage) ?? { cpu: [], wall: [] };
    s.cpu.push(cpuMs);
    s.wall.push(wallMs);
    this.samples.set(stage, s);
    return out;
  }

  /** Per stage: mean per frame it ran on; and per sampled frame, so idle frames count too. */
  summary(frames: number): Record<string, unknown> {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const stages = Object.fromEntries([...this.samples].map(([k, v]) => [k, {
      frames: v.cpu.length,
      cpuMs: round(sum(v.cpu) / v.cpu.length, 1),
      wallMs: round(sum(v.wall) / v.wall.length, 1),
    }]));
    const perSampledFrame = Object.fromEntries([...this.samples].map(([k, v]) => [k, sum(v.cpu) / frames]));
    const total = sum(Object.values(perSampledFrame));
    return {
      stages,
      cpuMsPerSampledFrame: round(total, 1),
      cpuSharePercent: Object.fromEntries(Object.entries(perSampledFrame).map(([k, v]) => [k, round((v / total) * 100, 1)])),
    };
  }
}

/** One worker, one full-frame inference per call, back to back: the rate one core gives the model. */
async function singleWorkerRate(frames: Buffer[]): Promise<{ inferencesPerS: number; msPerInference: number }> {
  // One model, no closer look: each detect call is exactly one inference.
  const setup = { ...ownOutputSetup(workerSetup(detectorSchema.parse(undefined))), tiling: NO_TILES, backend: 'wasm' as const };
  const pool = new DetectorPool({ size: 1, setup, maxQueue: 4, logger: silentLogger() });
  await pool.start();
  try {
    for (let i = 0; i < 3; i++) await pool.detect(frames[i] as Buffer);
    const n = 15;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await pool.detect(frames[(i * 37) % frames.length] as Buffer);
    const ms = (performance.now() - t0) / n;
    return { inferencesPerS: round(1000 / ms), msPerInference: Math.round(ms) };
  } finally {
    await pool.stop();
  }
}

interface Counters {
  offered: number;
  detected: number;
  dropped: number;
  inferences: number | undefined;
  workerBusyMs: number | undefined;
}

function parsePlans(text: string): Plan[] {
  const plans = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  for (const p of plans) if (!Object.hasOwn(PLAN_CONFIG, p)) throw new Error(`BENCH_CAPACITY_PLANS: "${p}" is not a plan (${Object.keys(PLAN_CONFIG).join(', ')})`);
  return plans as Plan[];
}

async function busyRun(n: number, frames: Buffer[], singleRate: number, plan: Plan): Promise<Record<string, unknown>> {
  const sim = new HttpCameraSim({ username: 'admin', password: 'pw' });
  for (let i = 0; i < n; i++) {
    const offset = Math.floor((i * frames.length) / n);
    sim.add({ name: `c${i}`, frames: [...frames.slice(offset), ...frames.slice(0, offset)], fps: 10 });
  }
  const port = await sim.start();
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-'));
  const cameras = Array.from({ length: n }, (_, i) =>
    `  - { id: c${i}, snapshot: { url: '${sim.url(port, `c${i}`)}', username: admin, password: pw }, interval: 1s${cameraExtra} }`).join('\n');
  const detector = `detector: { ${[PLAN_CONFIG[plan], DETECTOR_EXTRA].filter((k) => k !== '').join(', ')} }\n`;
  const config = parseConfigText(`host: { id: bench }\nmqtt: { url: mqtt://127.0.0.1:1 }\nstorage: { dataDir: ${dir} }\n${detector}cameras:\n${cameras}\n`, 'bench.yaml');
  let pipeline: CameraPipeline | undefined;
  let pool: DetectorPool | undefined;
  const link = new MemoryStationLink();
  const agent = createAgent({
    config, ports: realHostPorts(), logger: silentLogger(), link,
    onCameraPipeline: (p) => { pipeline = p; },
    onDetectorPool: (p) => { pool = p; },
  });
  await agent.start();
  await sleep(WARMUP_S * 1000);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const before = counters(pipeline, pool);
  const looks0 = pipeline?.summary().events;
  const whole0 = pipeline?.wholeFrameSearches() ?? 0;
  const perCamera0 = perCamera(pipeline);
  const machine0 = machineTimes();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const load0 = loadavg()[0] ?? 0;
  await sleep(RUN_S * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const machine = machineTimes();
  loop.disable();
  const after = counters(pipeline, pool);
  const wholeFrameSearches = (pipeline?.wholeFrameSearches() ?? 0) - whole0;
  const cams = perCamera(pipeline, perCamera0);
  const latency = pipeline?.handoff.stats();
  const looks = pipeline?.summary().events;
  await agent.stop();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
  const offered = after.offered - before.offered;
  const dropped = after.dropped - before.dropped;
  const detected = after.detected - before.detected;
  const drops = Object.values(cams).map((c) => c.dropped);
  const meanDrops = drops.reduce((a, b) => a + b, 0) / Math.max(1, drops.length);
  const inferences = after.inferences === undefined || before.inferences === undefined ? undefined : after.inferences - before.inferences;
  const busyMs = after.workerBusyMs === undefined || before.workerBusyMs === undefined ? undefined : after.workerBusyMs - before.workerBusyMs;
  const workers = config.detector.workers ?? availableParallelism();
  const processCores = (cpu.user + cpu.system) / 1e6 / seconds;
  return {
    cameras: n,
    seconds: round(seconds),
    offered,
    detected,
    dropped,
    dropRatio: offered === 0 ? 0 : round(dropped / offered, 3),
    worstCameraDropsOverMean: meanDrops === 0 ? null : round(Math.max(...drops) / meanDrops),
    latencyMs: { p50: latency?.latencyP50Ms ?? null, p95: latency?.latencyP95Ms ?? null },
    detectedPerS: round(detected / seconds),
    inferencesPerDetectedFrame: inferences === undefined ? null : round(inferences / Math.max(1, detected)),
    // Frames detected per second of this process's CPU: what a plan costs, fair even on a shared machine.
    detectedPerCpuS: round(detected / Math.max(1e-9, processCores * seconds)),
    reducedFrames: Object.values(cams).reduce((a, c) => a + (c.reduced ?? 0), 0),
    // Whole-frame searches (full frame and tiles, 5 inferences on vtest) begun in the window: first frames, lighting changes, scanEvery.
    wholeFrameSearches,
    inferencesPerS: inferences === undefined ? null : round(inferences / seconds),
    ratioToSingleWorker: inferences === undefined ? null : round(inferences / seconds / singleRate),
    workerUtilisation: busyMs === undefined ? null : round(busyMs / (seconds * 1000 * workers), 3), // credited when an image finishes
    cpu: {
      processCoresUsed: round(processCores),
      processBusyPercent: round((processCores / availableParallelism()) * 100),
      machineBusyPercent: round(machine.busy(machine0)),
      loadAverage1m: { before: round(load0), after: round(loadavg()[0] ?? 0) },
    },
    // The look-alike check (events.lookAlike): comparisons made and pictures decoded for them in the window.
    lookAlike: looks === undefined || looks0 === undefined ? null : {
      comparisons: looks.lookComparisons - looks0.lookComparisons,
      decodes: looks.lookDecodes - looks0.lookDecodes,
      decodesPerDetectedFrame: round((looks.lookDecodes - looks0.lookDecodes) / Math.max(1, detected)),
    },
    eventLoopDelayMs: { p50: round(loop.percentile(50) / 1e6), p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) },
    perCamera: cams,
  };
}

/** Totals from the agent's own counters; inference figures only where the agent reports them. */
function counters(pipeline: CameraPipeline | undefined, pool: DetectorPool | undefined): Counters {
  const stats = pipeline?.handoff.stats();
  const detector = pool?.stats() as { inferences?: number; workerBusyMs?: number } | undefined;
  return {
    offered: stats?.offered ?? 0,
    detected: stats?.processed ?? 0,
    dropped: stats?.dropped ?? 0,
    inferences: detector?.inferences,
    workerBusyMs: detector?.workerBusyMs,
  };
}

interface CameraCounts { offered: number; detected: number; dropped: number; latencyP95Ms?: number | null; reduced?: number }

/** Per camera since `since`; an agent without per-camera counts gives its drops only. */
function perCamera(pipeline: CameraPipeline | undefined, since: Record<string, CameraCounts> = {}): Record<string, CameraCounts> {
  const stats = pipeline?.handoff.stats() as { dropsByCamera: Record<string, number>; byCamera?: Record<string, CameraCounts> } | undefined;
  const byCamera: Record<string, CameraCounts> = stats?.byCamera ?? Object.fromEntries(Object.entries(stats?.dropsByCamera ?? {}).map(([k, d]) => [k, { offered: 0, detected: 0, dropped: d }]));
  const out: Record<string, CameraCounts> = {};
  for (const [camera, c] of Object.entries(byCamera)) {
    const s = since[camera];
    const counts: CameraCounts = { offered: c.offered - (s?.offered ?? 0), detected: c.detected - (s?.detected ?? 0), dropped: c.dropped - (s?.dropped ?? 0) };
    if (c.latencyP95Ms !== undefined) counts.latencyP95Ms = c.latencyP95Ms;
    const reduced = pipeline?.detection(camera)?.reduced;
    if (reduced !== undefined) counts.reduced = reduced - (s?.reduced ?? 0);
    out[camera] = counts;
  }
  return out;
}

function machineTimes(): { idle: number; total: number; busy(before: { idle: number; total: number }): number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.sys + c.times.nice + c.times.irq;
  }
  return { idle, total, busy: (b) => (1 - (idle - b.idle) / Math.max(1, total - b.total)) * 100 };
}

function tableRow(r: Record<string, unknown>): Record<string, unknown> {
  const cpu = r['cpu'] as { processBusyPercent: number; machineBusyPercent: number };
  const latency = r['latencyMs'] as { p50: number | null; p95: number | null };
  return {
    cameras: r['cameras'],
    plan: r['plan'],
    dropPercent: round(Number(r['dropRatio']) * 100, 1),
    worstCameraDropsOverMean: r['worstCameraDropsOverMean'],
    latencyP50Ms: latency.p50,
    latencyP95Ms: latency.p95,
    processCpuPercent: cpu.processBusyPercent,
    machineCpuPercent: cpu.machineBusyPercent,
    detectedPerS: r['detectedPerS'],
    detectedPerCpuS: r['detectedPerCpuS'],
    inferencesPerDetectedFrame: r['inferencesPerDetectedFrame'],
    wholeFrameSearches: r['wholeFrameSearches'],
    inferencesPerS: r['inferencesPerS'],
    ratioToSingleWorker: r['ratioToSingleWorker'],
    workerUtilisation: r['workerUtilisation'],
    eventLoopP99Ms: (r['eventLoopDelayMs'] as { p99: number }).p99,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(v: number, digits = 2): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
