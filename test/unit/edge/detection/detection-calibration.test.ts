import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrate, decodeRows, rawFloor } from '../../../../agent/edge/detection/decode.js';
import { NO_TILES, planStillCrops } from '../../../../agent/edge/detection/crops.js';
import { modelManifestSchema } from '../../../../agent/models/manifest.js';

/** YOLOv5s's shipped calibration: its person 0.25 and e-bike 0.15 sit where nanodet's 0.40 and 0.30 do. */
const PERSON: [number, number][] = [[0.25, 0.4]];
const LABELS = {
  '0': { class: 'person', label: 'person' as const, calibration: PERSON },
  '2': { class: 'bicycle', label: 'ebike' as const, calibration: [[0.15, 0.3]] as [number, number][] },
  '5': { class: 'chair', label: 'person' as const },
};

describe('score calibration (a second model on the first model\'s scale)', () => {
  it('maps the anchor points exactly, keeps 0 and 1, and is linear between', () => {
    expect(calibrate(0.25, PERSON)).toBeCloseTo(0.4, 10);
    expect(calibrate(0, PERSON)).toBe(0);
    expect(calibrate(1, PERSON)).toBeCloseTo(1, 10);
    expect(calibrate(0.125, PERSON)).toBeCloseTo(0.2, 10);
    expect(calibrate(0.625, PERSON)).toBeCloseTo(0.7, 10);
    expect(calibrate(0.3, undefined)).toBe(0.3);
  });

  it('never reorders scores', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
      if (a <= b) expect(calibrate(a, PERSON)).toBeLessThanOrEqual(calibrate(b, PERSON));
    }));
  });

  it('cuts raw scores low enough that nothing passing after calibration is lost', () => {
    const floor = rawFloor(LABELS, 0.3);
    expect(floor).toBeCloseTo(0.15, 10); // the bicycle's 0.15 calibrates to 0.30; the person's 0.1875 would too
    expect(rawFloor({ '0': { class: 'person', label: 'person' } }, 0.3)).toBe(0.3);
  });

  it('decodes rows to calibrated scores and applies the floor after calibration', () => {
    const [frame] = planStillCrops(100, 100, NO_TILES);
    if (frame === undefined) throw new Error('no crop');
    const rows = [
      10, 10, 20, 20, 0.25, 0, // person at raw 0.25 → 0.40
      30, 30, 40, 40, 0.2, 0, // person at raw 0.20 → 0.32: above a 0.3 floor once calibrated
      50, 50, 60, 60, 0.2, 5, // chair mapped to person, uncalibrated: below the floor
    ];
    const out = decodeRows(rows, frame, { scaleX: 1, scaleY: 1 }, { width: 100, height: 100 }, LABELS, { minScore: 0.3, edgeTolerance: 0 });
    expect(out.map((d) => Math.round(d.score * 1000) / 1000)).toEqual([0.4, 0.32]);
  });

  it('refuses calibration points that do not rise, or sit on 0 or 1', () => {
    const manifest = (calibration: unknown) => ({
      id: 'm', version: '1', description: 'd', source: { package: 'p', version: '1.0.0', license: 'MIT' },
      files: [{ name: 'g.json', from: 'g.json', sha256: 'a'.repeat(64), bytes: 1 }, { name: 's.jpg', from: 's.jpg', sha256: 'b'.repeat(64), bytes: 1 }],
      graph: 'g.json', input: { name: 'in', shape: [1, 8, 8, 3], layout: 'nhwc', dtype: 'float32', range: [0, 1] },
      output: { name: 'out', decoding: 'yolo', classes: 80, normalised: true },
      labels: { '0': { class: 'person', label: 'person', calibration } },
      selfTest: { image: 's.jpg', expect: [{ label: 'person', minCount: 1, minScore: 0.5 }] },
    });
    expect(modelManifestSchema.safeParse(manifest([[0.25, 0.4], [0.5, 0.7]])).success).toBe(true);
    const falling = modelManifestSchema.safeParse(manifest([[0.25, 0.4], [0.5, 0.3]]));
    expect(falling.success).toBe(false);
    expect(falling.error?.issues[0]?.message).toBe('points must rise in both raw and calibrated score');
    expect(modelManifestSchema.safeParse(manifest([[0, 0.4]])).success).toBe(false);
    expect(modelManifestSchema.safeParse(manifest([[0.5, 1]])).success).toBe(false);
  });
});
