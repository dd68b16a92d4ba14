import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfDetector } from '../../../../agent/edge/detection/tf-detector.js';
import { runSelfTest } from '../../../../agent/edge/detection/self-test.js';
import { loadInstalledModel, type InstalledModel } from '../../../../agent/models/store.js';
import { footage } from '../../../helpers/footage.js';

/** NanoDet (NCHW, BGR with mean/std, GFL head) decoded by our own code, checked on real footage. */
let model: InstalledModel;
let detector: TfDetector;
/** The same, brightening frames darker than mean luminance 60 and looking at them twice. */
let nightDetector: TfDetector;
const NO_TILES = { grids: [], overlap: 0, minImageSide: 100_000 };

beforeAll(async () => {
  model = await loadInstalledModel('nanodet');
  detector = await TfDetector.create({ model, backend: 'wasm', tiling: NO_TILES, minScore: 0.3, fit: 'contain' });
  nightDetector = await TfDetector.create({
    model, backend: 'wasm', tiling: NO_TILES, minScore: 0.3, fit: 'contain',
    lowLight: { method: 'gamma', belowLuma: 60, gamma: 2, secondLook: true },
  });
}, 60_000);
afterAll(() => {
  detector.dispose();
  nightDetector.dispose();
});

function vtestFrame(): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', footage('opencv/vtest.avi'), '-vf', 'select=eq(n\\,66)', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { maxBuffer: 32 << 20 });
}

describe('nanodet on real footage (wasm backend)', () => {
  it('puts tight, person-shaped boxes on the walkers of vtest.avi', async () => {
    const people = (await detector.detect(vtestFrame())).detections.filter((d) => d.label === 'person' && d.score >= 0.5);
    expect(people.length).toBeGreaterThanOrEqual(4);
    for (const [x1, y1, x2, y2] of people.map((p) => p.box)) {
      expect(y2 - y1).toBeGreaterThan(x2 - x1); // upright
      expect(y2 - y1).toBeLessThan(0.4); // distant people, not frame-sized boxes
    }
  });

  it('finds the motorcycle as an e-bike filling most of the picture', async () => {
    const bikes = (await detector.detect(await readFile(footage('skimage/motorcycle_left.png')))).detections.filter((d) => d.label === 'ebike');
    const [x1, y1, x2, y2] = bikes[0]?.box ?? [0, 0, 0, 0];
    expect(x2 - x1).toBeGreaterThan(0.6);
    expect(y2 - y1).toBeGreaterThan(0.5);
  });

  it('with low-light on, detects a bright frame exactly as without it, in one inference', async () => {
    const frame = vtestFrame();
    const before = nightDetector.inferences();
    const night = await nightDetector.detect(frame);
    expect(nightDetector.inferences() - before).toBe(1);
    expect(night.detections).toEqual((await detector.detect(frame)).detections);
  });

  it('with low-light on, looks at a dark frame twice and still finds the walkers', async () => {
    const dark = await sharp(vtestFrame()).linear(0.25, 0).png().toBuffer();
    const before = nightDetector.inferences();
    const people = (await nightDetector.detect(dark)).detections.filter((d) => d.label === 'person' && d.score >= 0.5);
    expect(nightDetector.inferences() - before).toBe(2);
    expect(people.length).toBeGreaterThanOrEqual(3);
  });

  it('passes its manifest self-test', async () => {
    expect(await runSelfTest(detector, model)).toMatchObject({ ok: true });
  });
});
