import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfDetector } from '../../../../agent/edge/detection/tf-detector.js';
import { NO_TILES } from '../../../../agent/edge/detection/crops.js';
import { createDetector } from '../../../../agent/edge/detection/create.js';
import { runSelfTest } from '../../../../agent/edge/detection/self-test.js';
import { cameraFilter, filterDetections } from '../../../../agent/edge/detection/filters.js';
import { detectorSchema } from '../../../../agent/config/sections/detector.js';
import { DetectorPool } from '../../../../agent/edge/detection/pool.js';
import { workerSetup } from '../../../../agent/edge/detection/from-config.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { loadInstalledModel, DEFAULT_MODEL_ID } from '../../../../agent/models/store.js';
import { footage } from '../../../helpers/footage.js';

/** One frame of a video as PNG, decoded by the real ffmpeg. */
function videoFrame(file: string, frame: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', footage(file), '-vf', `select=eq(n\\,${frame})`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { maxBuffer: 32 << 20 });
}

const defaults = detectorSchema.parse(undefined);
const alerts = cameraFilter(defaults);
let detector: TfDetector;

beforeAll(async () => {
  detector = await TfDetector.create({ model: await loadInstalledModel(DEFAULT_MODEL_ID), backend: 'wasm', tiling: defaults.tiling, minScore: 0.2, fit: 'contain' });
}, 60_000);
afterAll(() => detector.dispose());

describe('the default model on real footage (wasm backend)', () => {
  it('finds the people walking in an elevated surveillance frame (vtest.avi)', async () => {
    const result = await detector.detect(videoFrame('opencv/vtest.avi', 300));
    expect(result).toMatchObject({ width: 768, height: 576 });
    const people = filterDetections(result.detections, alerts).filter((d) => d.label === 'person');
    expect(people.length).toBeGreaterThanOrEqual(3);
    for (const p of people) expect(p.box[3] - p.box[1]).toBeLessThan(0.5); // distant people, not one frame-sized box
  });

  it('finds the motorcycle as an e-bike', async () => {
    const result = await detector.detect(await readFile(footage('skimage/motorcycle_left.png')));
    const bikes = filterDetections(result.detections, alerts).filter((d) => d.label === 'ebike');
    expect(bikes.length).toBeGreaterThanOrEqual(1);
    const [x1, y1, x2, y2] = bikes[0]?.box ?? [0, 0, 0, 0];
    expect(x2 - x1).toBeGreaterThan(0.5); // the motorcycle fills most of the picture
    expect(y2 - y1).toBeGreaterThan(0.5);
  });

  it.each(['skimage/rocket.jpg', 'opencv/fruits.jpg', 'opencv/building.jpg'])('alerts on nothing in %s', async (file) => {
    const result = await detector.detect(await readFile(footage(file)));
    expect(filterDetections(result.detections, alerts)).toEqual([]);
  });

  it('alerts on nothing in a swaying tree (tree.avi)', async () => {
    const result = await detector.detect(videoFrame('opencv/tree.avi', 0));
    expect(filterDetections(result.detections, alerts)).toEqual([]);
  });

  it('looks only where motion is when given regions', async () => {
    const frame = videoFrame('opencv/vtest.avi', 300);
    const everywhere = await detector.detect(frame);
    const person = filterDetections(everywhere.detections, alerts).find((d) => d.label === 'person');
    expect(person).toBeDefined();
    const inRegion = await detector.detect(frame, { regions: [person?.box ?? [0, 0, 1, 1]] });
    expect(inRegion.detections.some((d) => d.label === 'person' && d.score >= 0.3)).toBe(true);
  });

  it('passes the self-test in the model manifest, and fails it when the expectation is raised', async () => {
    const model = await loadInstalledModel(DEFAULT_MODEL_ID);
    const report = await runSelfTest(detector, model);
    expect(report.problems).toEqual([]);
    expect(report.found.person).toBeGreaterThanOrEqual(5);
    const blind = { detect: () => Promise.resolve({ width: 1, height: 1, ms: 1, detections: [] }) };
    const failed = await runSelfTest(blind, model);
    expect(failed.ok).toBe(false);
    expect(failed.problems).toEqual([`${DEFAULT_MODEL_ID} self-test: expected at least 5 person at score ≥ 0.4 in selftest.jpg, found 0`]);
  });

  it('refuses bytes that are not an image, naming the problem', async () => {
    await expect(detector.detect(Buffer.from('not a picture'))).rejects.toMatchObject({ code: 'detector.image_unreadable' });
  });

  it('holds no more tensors after many inferences than after the first', async () => {
    const small = await readFile(footage('skimage/astronaut.png'));
    await detector.detect(small);
    const before = detector.numTensors();
    for (let i = 0; i < 15; i++) await detector.detect(small);
    expect(detector.numTensors()).toBe(before);
  }, 120_000);
});

describe('the second model on still pictures (detector.secondModel, default yolov5s)', () => {
  let both: TfDetector;
  beforeAll(async () => {
    both = await TfDetector.create({
      model: await loadInstalledModel(DEFAULT_MODEL_ID), secondModel: await loadInstalledModel(defaults.secondModel),
      backend: 'wasm', tiling: defaults.tiling, minScore: 0.2, fit: 'contain',
    });
  }, 60_000);
  afterAll(() => both.dispose());

  it('runs once on the full frame of a still picture, never on motion regions', async () => {
    const frame = videoFrame('opencv/vtest.avi', 300);
    const count = async (d: TfDetector, options = {}) => {
      const before = d.inferences();
      const result = await d.detect(frame, options);
      return { inferences: d.inferences() - before, result };
    };
    const alone = await count(detector);
    const still = await count(both);
    expect(still.inferences).toBe(alone.inferences + 1);
    const people = filterDetections(still.result.detections, alerts).filter((d) => d.label === 'person');
    expect(people.length).toBeGreaterThanOrEqual(filterDetections(alone.result.detections, alerts).filter((d) => d.label === 'person').length);
    const region = { regions: [[0.3, 0.2, 0.7, 0.8] as [number, number, number, number]] };
    expect((await count(both, region)).inferences).toBe((await count(detector, region)).inferences);
  }, 60_000);

  it('runs without a second model that is missing, and says why', async () => {
    const setup = { ...workerSetup(defaults), backend: 'wasm' as const, second: { modelId: defaults.secondModel, modelsRoot: '/nonexistent' } };
    const lone = await createDetector(setup);
    try {
      expect(lone.secondModelProblem).toMatch(/yolov5s/);
      const before = lone.inferences();
      const result = await lone.detect(await readFile(footage('skimage/motorcycle_left.png')));
      expect(result.detections.some((d) => d.label === 'ebike')).toBe(true);
      expect(lone.inferences() - before).toBeGreaterThan(0);
    } finally {
      lone.dispose();
    }
  }, 60_000);

  it.each(['skimage/rocket.jpg', 'opencv/fruits.jpg', 'opencv/building.jpg'])('still alerts on nothing in %s', async (file) => {
    const result = await both.detect(await readFile(footage(file)));
    expect(filterDetections(result.detections, alerts)).toEqual([]);
  });

  it('passes its own manifest\'s self-test, its scores calibrated', async () => {
    const second = await loadInstalledModel(defaults.secondModel);
    const alone = await TfDetector.create({ model: second, backend: 'wasm', tiling: NO_TILES, minScore: 0.2, fit: 'contain' });
    try {
      const report = await runSelfTest(alone, second);
      expect(report.problems).toEqual([]);
    } finally {
      alone.dispose();
    }
  }, 60_000);
});

describe('the worker pool', () => {
  it('answers from two workers, refuses past its queue, and stops cleanly', async () => {
    const pool = new DetectorPool({ size: 2, setup: { ...workerSetup(defaults), backend: 'wasm' }, maxQueue: 2, logger: silentLogger() });
    await pool.start();
    try {
      const image = await readFile(footage('skimage/motorcycle_right.png'));
      const jobs = [pool.detect(image), pool.detect(image), pool.detect(image), pool.detect(image)];
      await expect(pool.detect(image)).rejects.toMatchObject({ code: 'detector.busy' });
      const results = await Promise.all(jobs);
      for (const r of results) expect(r.detections.some((d) => d.label === 'ebike')).toBe(true);
      const stats = pool.stats();
      expect(stats).toMatchObject({ backend: 'wasm', workers: 2, completed: 4, refused: 1, busy: 0, queued: 0 });
      // Each image ran the full frame plus its tiles; the workers' time is what they spent on them.
      expect(stats.inferences % 4).toBe(0);
      expect(stats.inferences).toBeGreaterThanOrEqual(4);
      expect(stats.workerBusyMs).toBeGreaterThan(0);
      await expect(pool.detect(Buffer.from('junk'))).rejects.toMatchObject({ code: 'detector.image_unreadable' });
    } finally {
      await pool.stop();
    }
    await expect(pool.detect(Buffer.alloc(1))).rejects.toMatchObject({ code: 'detector.stopped' });
  }, 120_000);

  it('fails to start with the model store\'s error when the model is missing', async () => {
    const pool = new DetectorPool({ size: 1, setup: { ...workerSetup(defaults), backend: 'wasm', modelsRoot: '/nonexistent' }, maxQueue: 1, logger: silentLogger() });
    await expect(pool.start()).rejects.toMatchObject({ code: 'model.missing' });
  });
});
