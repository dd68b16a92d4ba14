import { describe, expect, it } from 'vitest';
import { decodeGfl, expectedBin } from '../../../../agent/edge/detection/gfl.js';
import { toInputValues } from '../../../../agent/edge/detection/pixels.js';
import type { ModelInput } from '../../../../agent/models/manifest.js';

/** Logits that put (nearly) all the weight on one bin. */
function peaked(bin: number, bins: number): number[] {
  return Array.from({ length: bins }, (_, i) => (i === bin ? 30 : 0));
}

describe('GFL (NanoDet) decoding', () => {
  it('takes the expectation of the softmax over the distance bins', () => {
    expect(expectedBin(Float32Array.from(peaked(3, 11)), 0, 11)).toBeCloseTo(3, 5);
    expect(expectedBin(Float32Array.from([0, 0]), 0, 2)).toBeCloseTo(0.5, 5); // even weight on 0 and 1
  });

  it('places a box around its anchor point, sides in strides, on the right level', () => {
    const classes = 4;
    const bins = 3; // regMax 2
    // A 2×2 grid at stride 8 (input 16×16); the point at column 1, row 0 sees class 3 at 0.9.
    const scores = new Float32Array(4 * classes);
    scores[1 * classes + 3] = 0.9;
    scores[2 * classes + 0] = 0.2; // below minScore
    const boxes = new Float32Array(4 * 4 * bins);
    const sides = [1, 0, 2, 1]; // left 1, top 0, right 2, bottom 1 strides
    sides.forEach((bin, k) => boxes.set(peaked(bin, bins), (1 * 4 + k) * bins));
    const rows = decodeGfl([{ stride: 8, scores, boxes }], { inputWidth: 16, inputHeight: 16, classes, regMax: 2, wanted: [0, 3], minScore: 0.3 });
    expect(rows).toHaveLength(6);
    const [x1, y1, x2, y2, score, cls] = rows;
    // Anchor centre (1.5 × 8, 0.5 × 8) = (12, 4).
    expect(x1).toBeCloseTo(12 - 8, 3);
    expect(y1).toBeCloseTo(4, 3);
    expect(x2).toBeCloseTo(12 + 16, 3);
    expect(y2).toBeCloseTo(4 + 8, 3);
    expect(score).toBeCloseTo(0.9, 5);
    expect(cls).toBe(3);
  });

  it('ignores classes that raise no label', () => {
    const scores = Float32Array.from([0.9, 0.9]);
    const boxes = new Float32Array(4 * 2);
    expect(decodeGfl([{ stride: 32, scores, boxes }], { inputWidth: 32, inputHeight: 32, classes: 2, regMax: 1, wanted: [0], minScore: 0.5 })).toHaveLength(6);
  });
});

describe('model input values', () => {
  const pixels = Buffer.from([10, 20, 30, 40, 50, 60]); // two RGB pixels

  it('scales to the range in NHWC, RGB (CenterNet)', () => {
    const input: ModelInput = { name: 'x', shape: [1, 1, 2, 3], layout: 'nhwc', dtype: 'float32', range: [0, 1] };
    expect([...toInputValues(pixels, input)].map((v) => Math.round(v * 255))).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('reorders to NCHW, BGR and normalises by mean and std (NanoDet)', () => {
    const input: ModelInput = { name: 'x', shape: [1, 3, 1, 2], layout: 'nchw', dtype: 'float32', range: [0, 255], channels: 'bgr', mean: [10, 0, 0], std: [2, 1, 1] };
    // plane 0 = blue (30, 60) minus 10 over 2; plane 1 = green; plane 2 = red.
    expect([...toInputValues(pixels, input)]).toEqual([10, 25, 20, 50, 10, 40]);
  });
});
