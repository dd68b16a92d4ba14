import { describe, expect, it } from 'vitest';
import { decodeYolo } from '../../../../agent/edge/detection/yolo.js';

/** One anchor row: centre, size, objectness, then one probability per class. */
function row(cx: number, cy: number, w: number, h: number, objectness: number, probs: number[]): number[] {
  return [cx, cy, w, h, objectness, ...probs];
}

describe('YOLO (v5-style) decoding', () => {
  it('turns normalised centre/size rows into corner boxes in input pixels, scored objectness × class', () => {
    const data = Float32Array.from([
      ...row(0.5, 0.25, 0.2, 0.4, 0.9, [0.8, 0.1, 0.0]),
      ...row(0.1, 0.1, 0.1, 0.1, 0.1, [0.9, 0.9, 0.9]), // objectness below the floor
    ]);
    const rows = decodeYolo(data, { inputWidth: 640, inputHeight: 320, classes: 3, normalised: true, wanted: [0, 2], minScore: 0.3 });
    expect(rows).toHaveLength(6);
    const [x1, y1, x2, y2, score, cls] = rows;
    expect(x1).toBeCloseTo(320 - 64, 3);
    expect(y1).toBeCloseTo(80 - 64, 3);
    expect(x2).toBeCloseTo(320 + 64, 3);
    expect(y2).toBeCloseTo(80 + 64, 3);
    expect(score).toBeCloseTo(0.72, 5);
    expect(cls).toBe(0);
  });

  it('reads pixel boxes as they are, keeps one row per wanted class that clears the floor', () => {
    const data = Float32Array.from(row(100, 50, 20, 10, 1, [0.6, 0.5, 0.9]));
    const rows = decodeYolo(data, { inputWidth: 640, inputHeight: 640, classes: 3, normalised: false, wanted: [0, 1], minScore: 0.55 });
    expect(rows).toEqual([90, 45, 110, 55, expect.closeTo(0.6, 5), 0]);
  });

  it('ignores a trailing partial row and NaN scores', () => {
    const data = Float32Array.from([...row(0.5, 0.5, 0.1, 0.1, Number.NaN, [1]), 0.5, 0.5]);
    expect(decodeYolo(data, { inputWidth: 10, inputHeight: 10, classes: 1, normalised: true, wanted: [0], minScore: 0.1 })).toEqual([]);
  });
});
