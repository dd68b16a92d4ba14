import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfDetector } from '../../../../agent/edge/detection/tf-detector.js';
import { detectorSchema } from '../../../../agent/config/sections/detector.js';
import { iou } from '../../../../agent/edge/box.js';
import { DetectorPool } from '../../../../agent/edge/detection/pool.js';
import { workerSetup } from '../../../../agent/edge/detection/from-config.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { loadInstalledModel, DEFAULT_MODEL_ID } from '../../../../agent/models/store.js';
import type { Box, Detection, DetectionResult } from '../../../../agent/edge/types.js';
import { footage } from '../../../helpers/footage.js';

/** One frame of a video as PNG, decoded by the real ffmpeg. */
function videoFrame(file: string, frame: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', footage(file), '-vf', `select=eq(n\\,${frame})`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { maxBuffer: 32 << 20 });
}

const defaults = detectorSchema.parse(undefined);
const PERSON = defaults.labels.person?.minScore ?? 0.5;
let detector: TfDetector;

beforeAll(async () => {
  detector = await TfDetector.create({ model: await loadInstalledModel(DEFAULT_MODEL_ID), backend: 'wasm', tiling: defaults.tiling, minScore: 0.2, fit: 'contain' });
}, 60_000);
afterAll(() => detector.dispose());

/** The picture's result in a batch answer (the test fails on an error). */
function resultOf(answer: { result: DetectionResult } | { error: unknown } | undefined): DetectionResult {
  if (answer === undefined || 'error' in answer) throw new Error('the picture failed');
  return answer.result;
}
const people = (found: Detection[]) => found.filter((d) => d.label === 'person' && d.score >= PERSON);
const best = (found: Detection[], box: Box) => Math.max(0, ...people(found).map((d) => iou(d.box, box)));

/** A person the normal region plan finds on its own, in a frame of vtest.avi (768×576, people 40–120 px tall). */
async function personIn(frame: Buffer): Promise<Box> {
  const whole = people((await detector.detect(frame)).detections).sort((a, b) => b.score - a.score);
  const box = whole[0]?.box;
  if (box === undefined) throw new Error('no person in the frame');
  const single = await detector.detect(frame, { regions: [box] });
  expect(best(single.detections, box)).toBeGreaterThan(0.5);
  return box;
}

describe('the mosaic on real footage (nanodet, wasm)', () => {
  it('finds a person in a mosaic cell that the single region crop finds', async () => {
    const frame = videoFrame('opencv/vtest.avi', 300);
    const box = await personIn(frame);
    const before = detector.inferences();
    const [packed] = await detector.detectBatch([{ image: frame, options: { regions: [box], maxShrink: 2, mosaic: true } }]);
    expect(detector.inferences() - before).toBe(1);
    expect(best(resultOf(packed).detections, box)).toBeGreaterThan(0.5);
  }, 120_000);

  it('packs small regions of several frames into one input and gives each frame its own people', async () => {
    const frames = [videoFrame('opencv/vtest.avi', 300), videoFrame('opencv/vtest.avi', 600), videoFrame('opencv/vtest.avi', 100)];
    const boxes: Box[] = [];
    for (const f of frames) boxes.push(await personIn(f));
    const before = detector.inferences();
    const results = await detector.detectBatch(frames.map((image, i) => ({ image, options: { regions: [boxes[i] as Box], maxShrink: 2, mosaic: true } })));
    expect(detector.inferences() - before).toBe(1);
    expect(results).toHaveLength(3);
    results.map(resultOf).forEach((r, i) => {
      expect(r).toMatchObject({ width: 768, height: 576 });
      expect(best(r.detections, boxes[i] as Box)).toBeGreaterThan(0.5);
      // Nothing of another frame's cell is reported in this frame.
      for (const d of people(r.detections)) expect(Math.max(...boxes.map((b) => iou(d.box, b)))).toBe(iou(d.box, boxes[i] as Box));
    });
  }, 180_000);

  it('pairs two crowded frames in one input (each in half of it, 2.8x shrunk) and finds in each the people its busy-plan crop finds', async () => {
    // vtest's motion covers the whole picture: the busy plan's one crop is the whole frame, 1.85x shrunk.
    const everywhere: Box[] = [[0.02, 0.05, 0.98, 0.95]];
    const frames = [videoFrame('opencv/vtest.avi', 300), videoFrame('opencv/vtest.avi', 600)];
    const alone: Detection[][] = [];
    for (const image of frames) alone.push(people((await detector.detect(image, { regions: everywhere, maxShrink: 2, mosaic: true })).detections));
    const before = detector.inferences();
    const paired = (await detector.detectBatch(frames.map((image) => ({ image, options: { regions: everywhere, maxShrink: 2, mosaic: true, pairShrink: 3 } })))).map(resultOf);
    expect(detector.inferences() - before).toBe(1);
    const kept = alone.map((found, i) => found.filter((d) => best(paired[i]?.detections ?? [], d.box) > 0.5).length);
    const [first, second] = alone.map((found) => found.length);
    process.stdout.write(`pairs: people found alone ${first} and ${second}, also found paired ${kept.join(' and ')}\n`);
    alone.forEach((found, i) => {
      expect(found.length).toBeGreaterThan(0);
      // The clearest person of each frame is found paired, and most of the others.
      const clearest = [...found].sort((a, b) => b.score - a.score)[0] as Detection;
      expect(best(paired[i]?.detections ?? [], clearest.box)).toBeGreaterThan(0.5);
      expect(kept[i]).toBeGreaterThanOrEqual(Math.ceil(found.length * 0.6));
      // Nothing of the other frame's half is reported in this frame.
      for (const d of people(paired[i]?.detections ?? [])) expect(d.box[3]).toBeLessThanOrEqual(1);
    });
    // A frame with no partner runs whole, as on the busy plan: the same people, one inference.
    const lone = resultOf((await detector.detectBatch([{ image: frames[0] as Buffer, options: { regions: everywhere, maxShrink: 2, mosaic: true, pairShrink: 3 } }]))[0]);
    expect(people(lone.detections).map((d) => d.box)).toEqual(alone[0]?.map((d) => d.box));
  }, 180_000);

  it('lets a pool worker take several cameras\' mosaic frames at once and share one input', async () => {
    const pool = new DetectorPool({ size: 1, setup: { ...workerSetup(defaults), backend: 'wasm' }, maxQueue: 8, logger: silentLogger() });
    await pool.start();
    try {
      const frame = videoFrame('opencv/vtest.avi', 300);
      const box = await personIn(frame);
      const jobs = [0, 1, 2].map(() => pool.detect(frame, { regions: [box], maxShrink: 2, mosaic: true }));
      // A picture that cannot be read, in the same batch, fails alone.
      const junk = pool.detect(Buffer.from('not a picture'), { regions: [box], maxShrink: 2, mosaic: true });
      await expect(junk).rejects.toMatchObject({ code: 'detector.image_unreadable' });
      const results = await Promise.all(jobs);
      for (const r of results) expect(best(r.detections, box)).toBeGreaterThan(0.5);
      expect(pool.stats()).toMatchObject({ completed: 3, inferences: 1 });
    } finally {
      await pool.stop();
    }
  }, 180_000);
});
