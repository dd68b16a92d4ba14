import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfDetector } from '../../../../agent/edge/detection/tf-detector.js';
import { detectorSchema } from '../../../../agent/config/sections/detector.js';
import { zoomCandidates } from '../../../../agent/edge/detection/zoom.js';
import { loadInstalledModel, DEFAULT_MODEL_ID } from '../../../../agent/models/store.js';
import type { Detection } from '../../../../agent/edge/types.js';
import { footage } from '../../../helpers/footage.js';

/** One frame of a video as PNG, decoded by the real ffmpeg. */
function videoFrame(file: string, frame: number): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', footage(file), '-vf', `select=eq(n\\,${frame})`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { maxBuffer: 32 << 20 });
}

const defaults = detectorSchema.parse(undefined);
const zoom = defaults.zoom;
let plain: TfDetector;
let closer: TfDetector;

beforeAll(async () => {
  const model = await loadInstalledModel(DEFAULT_MODEL_ID);
  const common = { model, backend: 'wasm' as const, tiling: defaults.tiling, minScore: 0.2, fit: 'contain' as const };
  plain = await TfDetector.create(common);
  closer = await TfDetector.create({ ...common, zoom });
}, 60_000);
afterAll(() => {
  plain.dispose();
  closer.dispose();
});

const key = (d: Detection) => d.box.map((v) => v.toFixed(4)).join(',');

describe('the closer look on real footage (nanodet, wasm)', () => {
  it('looks again at the unsure people of a still picture only, four to an inference, and leaves every other box as it was', async () => {
    const frame = videoFrame('opencv/vtest.avi', 300);
    const a = plain.inferences();
    const first = await plain.detect(frame);
    const plainRuns = plain.inferences() - a;
    const unsure = zoomCandidates(first.detections, zoom);
    expect(unsure.length).toBeGreaterThan(0);
    const b = closer.inferences();
    const second = await closer.detect(frame);
    expect(closer.inferences() - b).toBe(plainRuns + Math.ceil(unsure.length / 4));
    expect(second.detections).toHaveLength(first.detections.length);
    const looked = new Set(unsure.map(key));
    const after = new Map(second.detections.map((d) => [key(d), d.score]));
    let rescored = 0;
    for (const d of first.detections) {
      const score = after.get(key(d));
      expect(score).toBeDefined();
      if (!looked.has(key(d))) {
        expect(score).toBe(d.score);
        continue;
      }
      // The mean of the first look and a second one in [0, 1].
      expect(score).toBeGreaterThanOrEqual(d.score / 2 - 1e-9);
      expect(score).toBeLessThanOrEqual((d.score + 1) / 2 + 1e-9);
      if (score !== d.score) rescored++;
    }
    // The second look was taken into account, not only counted.
    expect(rescored).toBeGreaterThan(0);
  }, 120_000);

  it('never looks again at a motion frame (the region crops are already at the camera\'s own pixels)', async () => {
    const frame = videoFrame('opencv/vtest.avi', 300);
    const regions = (await plain.detect(frame)).detections.filter((d) => d.label === 'person').slice(0, 2).map((d) => d.box);
    const a = plain.inferences();
    const one = await plain.detect(frame, { regions });
    const plainRuns = plain.inferences() - a;
    const b = closer.inferences();
    const two = await closer.detect(frame, { regions });
    expect(closer.inferences() - b).toBe(plainRuns);
    expect(two.detections.map((d) => d.score)).toEqual(one.detections.map((d) => d.score));
  }, 120_000);

  it('keeps the two-wheeler of a clear photo: e-bikes are not looked at again by default', async () => {
    const image = await readFile(footage('skimage/motorcycle_right.png'));
    const one = (await plain.detect(image)).detections.filter((d) => d.label === 'ebike');
    const two = (await closer.detect(image)).detections.filter((d) => d.label === 'ebike');
    expect(two.map((d) => d.score)).toEqual(one.map((d) => d.score));
    expect(two.length).toBeGreaterThan(0);
  }, 120_000);
});
