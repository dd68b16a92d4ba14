/**
 * Decoding of a GFL head (Generalized Focal Loss, as NanoDet exports it): per pyramid level, a
 * grid of anchor points `stride` pixels apart, each with one sigmoid score per class and, for each
 * side (left, top, right, bottom), `regMax + 1` logits over distances 0..regMax strides. The
 * distance is the expectation of their softmax. Output: rows `[x1, y1, x2, y2, score, class]` in
 * input pixels, the format the rest of detection reads.
 */
export interface GflLevel {
  stride: number;
  /** [points × classes] sigmoid scores, points in row-major grid order. */
  scores: Float32Array;
  /** [points × 4 × (regMax + 1)] distance logits. */
  boxes: Float32Array;
}

export interface GflOptions {
  inputWidth: number;
  inputHeight: number;
  classes: number;
  regMax: number;
  /** Only these class indices are decoded (the ones that raise a label). */
  wanted: readonly number[];
  minScore: number;
}

export function decodeGfl(levels: readonly GflLevel[], options: GflOptions): number[] {
  const rows: number[] = [];
  const bins = options.regMax + 1;
  for (const level of levels) {
    const cols = Math.ceil(options.inputWidth / level.stride);
    const points = level.scores.length / options.classes;
    for (let p = 0; p < points; p++) {
      for (const cls of options.wanted) {
        const score = level.scores[p * options.classes + cls] ?? 0;
        if (!(score >= options.minScore)) continue;
        const cx = ((p % cols) + 0.5) * level.stride;
        const cy = (Math.floor(p / cols) + 0.5) * level.stride;
        const side = (k: number) => expectedBin(level.boxes, (p * 4 + k) * bins, bins) * level.stride;
        rows.push(cx - side(0), cy - side(1), cx + side(2), cy + side(3), score, cls);
      }
    }
  }
  return rows;
}

/** Σ i·softmax(logits)_i over one side's bins. */
export function expectedBin(logits: Float32Array, offset: number, bins: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < bins; i++) max = Math.max(max, logits[offset + i] ?? 0);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < bins; i++) {
    const e = Math.exp((logits[offset + i] ?? 0) - max);
    sum += e;
    weighted += i * e;
  }
  return weighted / sum;
}
