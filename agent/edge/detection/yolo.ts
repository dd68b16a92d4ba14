/**
 * Decoding of a YOLO (v5-style) head as TensorFlow.js exports it: one row per anchor,
 * `[cx, cy, w, h, objectness, p(class 0), …, p(class n-1)]`, boxes either in input pixels or
 * normalised to the input side (`normalised`). A class's score is objectness × its probability.
 * Output: rows `[x1, y1, x2, y2, score, class]` in input pixels, the format the rest of detection reads.
 */
export interface YoloOptions {
  inputWidth: number;
  inputHeight: number;
  classes: number;
  /** Boxes are fractions of the input side rather than input pixels. */
  normalised: boolean;
  /** Only these class indices are decoded (the ones that raise a label). */
  wanted: readonly number[];
  minScore: number;
}

export function decodeYolo(data: Float32Array, options: YoloOptions): number[] {
  const stride = 5 + options.classes;
  const sx = options.normalised ? options.inputWidth : 1;
  const sy = options.normalised ? options.inputHeight : 1;
  const rows: number[] = [];
  for (let o = 0; o + stride <= data.length; o += stride) {
    const objectness = data[o + 4] ?? 0;
    if (!(objectness >= options.minScore)) continue;
    for (const cls of options.wanted) {
      const score = objectness * (data[o + 5 + cls] ?? 0);
      if (!(score >= options.minScore)) continue;
      const cx = (data[o] ?? 0) * sx;
      const cy = (data[o + 1] ?? 0) * sy;
      const w = (data[o + 2] ?? 0) * sx;
      const h = (data[o + 3] ?? 0) * sy;
      rows.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score, cls);
    }
  }
  return rows;
}
