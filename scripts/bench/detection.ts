/**
 * Detection: per-backend inference time (p50, p95), per-model inference time on wasm (every model
 * under models/, same image, same run, so their ratio holds on a noisy machine), throughput of the worker pool with one worker
 * vs two on the same run, and steady memory over many inferences (RSS and live tensors).
 * `BENCH_DETECTION_INFERENCES` (default 2000) sets the length of the memory run; the cpu backend
 * (about 12 s per inference) runs only `BENCH_DETECTION_CPU_RUNS` times (default 2).
 */
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { footage } from '../../test/helpers/footage.js';
import { TfDetector } from '../../agent/edge/detection/tf-detector.js';
import { DetectorPool } from '../../agent/edge/detection/pool.js';
import { ownOutputSetup, workerSetup } from '../../agent/edge/detection/from-config.js';
import { detectorSchema } from '../../agent/config/sections/detector.js';
import { silentLogger } from '../../agent/core/logger.js';
import { errorMessage } from '../../agent/core/errors.js';
import { loadInstalledModel, DEFAULT_MODEL_ID, PACKAGED_MODELS_DIR } from '../../agent/models/store.js';
import { NO_TILES } from '../../agent/edge/detection/crops.js';
import type { BackendName } from '../../agent/edge/detection/backend.js';

const INFERENCES = Number(process.env['BENCH_DETECTION_INFERENCES'] ?? 2000);
const CPU_RUNS = Number(process.env['BENCH_DETECTION_CPU_RUNS'] ?? 2);
/** One crop per image (512×512 astronaut), one model, no closer look: each detect call is exactly one inference. */
const SINGLE_CROP = { ...ownOutputSetup(workerSetup(detectorSchema.parse(undefined))), tiling: NO_TILES, backend: 'wasm' as const };

export async function run(): Promise<Record<string, unknown>> {
  const image = await readFile(footage('skimage/astronaut.png'));
  const backends: Record<string, unknown> = {};
  for (const [backend, runs] of [['wasm', 30], ['cpu', CPU_RUNS], ['tensorflow', 10]] as [BackendName, number][]) {
    backends[backend] = await timeBackend(backend, image, runs);
  }
  const models: Record<string, unknown> = {};
  for (const id of await installedModelIds()) models[id] = await timeModel(id, image, 30);
  const one = await poolThroughput(1, image, 30);
  const two = await poolThroughput(2, image, 30);
  return {
    backends,
    models,
    pool: {
      oneWorker: one,
      twoWorkers: two,
      speedup: round(two.perSecond / one.perSecond, 2),
      loadAverage: round(loadavg()[0] ?? 0, 2),
    },
    memory: await steadyMemory(image, INFERENCES),
    secondModelMemory: await secondModelMemory(image),
  };
}

/**
 * What holding the second model (`detector.secondModel`) costs in memory: a two-worker pool with the
 * default setup, after a few still pictures, without and then with it; RSS (every thread) grown since
 * just before the pool started.
 */
async function secondModelMemory(image: Buffer): Promise<Record<string, unknown>> {
  const defaults = detectorSchema.parse(undefined);
  const grown = async (secondModel: string) => {
    const before = process.memoryUsage().rss;
    const pool = new DetectorPool({ size: 2, setup: { ...workerSetup({ ...defaults, secondModel }), backend: 'wasm' }, maxQueue: 8, logger: silentLogger() });
    await pool.start();
    try {
      for (let i = 0; i < 6; i++) await pool.detect(image);
      return round((process.memoryUsage().rss - before) / 2 ** 20, 1);
    } finally {
      await pool.stop();
    }
  };
  const without = await grown('none');
  const withIt = await grown(defaults.secondModel);
  return { workers: 2, rssGrowthMb: { none: without, [defaults.secondModel]: withIt }, perWorkerMb: round((withIt - without) / 2, 1) };
}

async function installedModelIds(): Promise<string[]> {
  const entries = await readdir(PACKAGED_MODELS_DIR, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** One inference per call (one crop) on wasm: the model's own cost, decode and resize included. */
function timeModel(id: string, image: Buffer, runs: number): Promise<Record<string, unknown>> {
  return timeBackend('wasm', image, runs, id);
}

async function timeBackend(backend: BackendName, image: Buffer, runs: number, modelId = DEFAULT_MODEL_ID): Promise<Record<string, unknown>> {
  let detector: TfDetector;
  try {
    detector = await TfDetector.create({ model: await loadInstalledModel(modelId), backend, tiling: NO_TILES, minScore: 0.3, fit: 'contain' });
  } catch (err) {
    return { unavailable: errorMessage(err).split('\n')[0] };
  }
  await detector.detect(image); // warm-up: kernels compile on first use
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await detector.detect(image)).ms);
  detector.dispose();
  times.sort((a, b) => a - b);
  return { runs, p50Ms: percentile(times, 0.5), p95Ms: percentile(times, 0.95) };
}

/**
 * Images per second, and the cores the process actually got meanwhile (CPU time / wall time): on a
 * shared machine two workers can only beat one when the scheduler gives them a second core.
 */
async function poolThroughput(workers: number, image: Buffer, images: number): Promise<{ perSecond: number; coresUsed: number }> {
  const pool = new DetectorPool({ size: workers, setup: SINGLE_CROP, maxQueue: images, logger: silentLogger() });
  await pool.start();
  try {
    await Promise.all(Array.from({ length: workers * 2 }, () => pool.detect(image))); // warm every worker
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(Array.from({ length: images }, () => pool.detect(image)));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: round(images / seconds, 2), coresUsed: round((used.user + used.system) / 1e6 / seconds, 2) };
  } finally {
    await pool.stop();
  }
}

/** Inferences through a two-worker pool, a few in flight at a time; RSS covers every thread. */
async function steadyMemory(image: Buffer, total: number): Promise<Record<string, unknown>> {
  const pool = new DetectorPool({ size: 2, setup: SINGLE_CROP, maxQueue: 8, logger: silentLogger() });
  await pool.start();
  const samples: Record<number, { rssMb: number; numTensors: number | undefined }> = {};
  const mark = Math.min(200, Math.floor(total / 10));
  try {
    let done = 0;
    const sample = () => { samples[done] = { rssMb: round(process.memoryUsage().rss / 2 ** 20, 1), numTensors: pool.stats().numTensors }; };
    const lane = async () => {
      while (done < total) {
        await pool.detect(image);
        done += 1;
        if (done === 1 || done === mark || done === 1000 || done === total) sample();
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  } finally {
    await pool.stop();
  }
  const atMark = samples[mark]?.rssMb ?? 0;
  const atEnd = samples[total]?.rssMb ?? 0;
  return {
    inferences: total,
    samples,
    rssGrowthPercentAfter: { from: mark, to: total, percent: round(((atEnd - atMark) / atMark) * 100, 2) },
    tensorsFirstVsLast: [samples[1]?.numTensors, samples[total]?.numTensors],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
