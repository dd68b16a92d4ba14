import type { MotionConfig } from '../../config/sections/camera-pipeline.js';
import type { GreyImage } from '../imaging/grey.js';
import type { Box } from '../types.js';

export interface MotionResult {
  /** Where something moved, normalised, padded by one cell; empty when nothing did. */
  regions: Box[];
  /** Fraction of the picture that differs from the background. */
  changedRatio: number;
  /** True when the whole scene changed at once (lights, IR switch) and the background was reset. */
  lightingChange: boolean;
}

const CELL = 8;
/** A cell moves when this fraction of its pixels changed. */
const CELL_FILL = 0.1;
/** Moving areas feed the background this much slower, so a slow walker is not absorbed. */
const MOVING_RATE_FACTOR = 0.1;

/**
 * A cheap motion gate for one camera: a running-average background of a small greyscale picture.
 * Global brightness is matched before comparing (clouds, headlights, auto exposure), and a change
 * over most of the picture at once is taken as lighting (IR switching at dusk), not as motion.
 */
export class MotionDetector {
  private background: Float32Array | undefined;
  private width = 0;
  private height = 0;

  constructor(private readonly config: MotionConfig) {}

  reset(): void {
    this.background = undefined;
  }

  detect(image: GreyImage): MotionResult {
    const { width, height, data } = image;
    if (this.background === undefined || width !== this.width || height !== this.height) {
      this.adopt(image);
      return { regions: [], changedRatio: 0, lightingChange: false };
    }
    const background = this.background;
    const curve = toneCurve(data, background);
    const changed = new Uint8Array(width * height);
    let count = 0;
    const threshold = this.config.threshold;
    for (let i = 0; i < data.length; i++) {
      if (Math.abs((data[i] ?? 0) - curve.expected(background[i] ?? 0)) <= threshold) continue;
      changed[i] = 1;
      count++;
    }
    const changedRatio = count / data.length;
    const regions = count === 0 || changedRatio > this.config.lightingChange ? [] : this.regionsOf(changed);
    // Most of the picture changed, or moving areas span most of it: light or scene, not an object.
    if (changedRatio > this.config.lightingChange || coverage(regions) > this.config.lightingChange) {
      this.adopt(image);
      return { regions: [], changedRatio, lightingChange: true };
    }
    this.learn(data, changed);
    return { regions, changedRatio, lightingChange: false };
  }

  private adopt(image: GreyImage): void {
    this.width = image.width;
    this.height = image.height;
    this.background = Float32Array.from(image.data);
  }

  private learn(data: Uint8Array, changed: Uint8Array): void {
    const background = this.background as Float32Array;
    const rate = this.config.backgroundRate;
    for (let i = 0; i < data.length; i++) {
      const r = changed[i] === 1 ? rate * MOVING_RATE_FACTOR : rate;
      const b = background[i] ?? 0;
      background[i] = b + r * ((data[i] ?? 0) - b);
    }
  }

  /** Moving cells joined into 8-connected groups; each group large enough becomes a region. */
  private regionsOf(changed: Uint8Array): Box[] {
    const cols = Math.ceil(this.width / CELL);
    const rows = Math.ceil(this.height / CELL);
    const counts = new Uint16Array(cols * rows);
    for (let y = 0; y < this.height; y++) {
      const row = Math.floor(y / CELL) * cols;
      for (let x = 0; x < this.width; x++) if (changed[y * this.width + x] === 1) counts[row + Math.floor(x / CELL)]! += 1;
    }
    const moving = Uint8Array.from(counts, (c) => (c >= CELL * CELL * CELL_FILL ? 1 : 0));
    const seen = new Uint8Array(cols * rows);
    const minPixels = this.config.minArea * this.width * this.height;
    const boxes: Box[] = [];
    for (let start = 0; start < moving.length; start++) {
      if (moving[start] !== 1 || seen[start] === 1) continue;
      const group = floodFill(moving, seen, start, cols, rows);
      if (group.pixels(counts) < minPixels) continue;
      boxes.push(this.toBox(group.bounds));
    }
    return boxes;
  }

  private toBox([c1, r1, c2, r2]: [number, number, number, number]): Box {
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    return [
      clamp(((c1 - 1) * CELL) / this.width),
      clamp(((r1 - 1) * CELL) / this.height),
      clamp(((c2 + 2) * CELL) / this.width),
      clamp(((r2 + 2) * CELL) / this.height),
    ];
  }
}

/** Area of the union of boxes, approximated on a 32×32 grid (boxes overlap). */
function coverage(boxes: readonly Box[]): number {
  if (boxes.length === 0) return 0;
  const n = 32;
  let covered = 0;
  for (let gy = 0; gy < n; gy++) {
    for (let gx = 0; gx < n; gx++) {
      const x = (gx + 0.5) / n;
      const y = (gy + 0.5) / n;
      if (boxes.some(([x1, y1, x2, y2]) => x >= x1 && x < x2 && y >= y1 && y < y2)) covered++;
    }
  }
  return covered / (n * n);
}

const BINS = 16;
const BIN_WIDTH = 256 / BINS;
const MIN_BIN_PIXELS = 16;

interface ToneCurve {
  expected(backgroundValue: number): number;
}

/**
 * How the scene's brightness changed as a whole: for each band of background brightness, the median
 * value the same pixels have now. It follows exposure, gain, gamma and sensor clipping (clouds,
 * headlights, auto exposure), while an object covering a small part of the picture cannot move a median.
 */
function toneCurve(data: Uint8Array, background: Float32Array): ToneCurve {
  const histograms = new Uint32Array(BINS * 256);
  const counts = new Uint32Array(BINS);
  for (let i = 0; i < data.length; i++) {
    const bin = Math.min(BINS - 1, Math.floor((background[i] ?? 0) / BIN_WIDTH));
    histograms[bin * 256 + (data[i] ?? 0)]! += 1;
    counts[bin]! += 1;
  }
  // Offset (now − then) at each bin centre with enough pixels to say.
  const centres: number[] = [];
  const offsets: number[] = [];
  for (let bin = 0; bin < BINS; bin++) {
    const n = counts[bin] ?? 0;
    if (n < MIN_BIN_PIXELS) continue;
    let seen = 0;
    let median = 0;
    for (; median < 256; median++) {
      seen += histograms[bin * 256 + median] ?? 0;
      if (seen * 2 >= n) break;
    }
    const centre = bin * BIN_WIDTH + BIN_WIDTH / 2;
    centres.push(centre);
    offsets.push(median - centre);
  }
  if (centres.length === 0) return { expected: (v) => v };
  return {
    expected(v: number): number {
      let k = 0;
      while (k < centres.length - 1 && (centres[k + 1] ?? 0) < v) k++;
      const c0 = centres[k] ?? 0;
      const c1 = centres[k + 1];
      const o0 = offsets[k] ?? 0;
      if (c1 === undefined || v <= c0) return v + o0;
      const t = (v - c0) / (c1 - c0);
      return v + o0 + t * ((offsets[k + 1] ?? 0) - o0);
    },
  };
}

interface CellGroup {
  bounds: [number, number, number, number];
  pixels(counts: Uint16Array): number;
}

function floodFill(moving: Uint8Array, seen: Uint8Array, start: number, cols: number, rows: number): CellGroup {
  const cells: number[] = [];
  const stack = [start];
  seen[start] = 1;
  let [c1, r1, c2, r2] = [cols, rows, -1, -1];
  while (stack.length > 0) {
    const cell = stack.pop() as number;
    cells.push(cell);
    const c = cell % cols;
    const r = Math.floor(cell / cols);
    c1 = Math.min(c1, c);
    r1 = Math.min(r1, r);
    c2 = Math.max(c2, c);
    r2 = Math.max(r2, r);
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const nc = c + dc;
        const nr = r + dr;
        if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
        const next = nr * cols + nc;
        if (moving[next] === 1 && seen[next] !== 1) {
          seen[next] = 1;
          stack.push(next);
        }
      }
    }
  }
  return { bounds: [c1, r1, c2, r2], pixels: (counts) => cells.reduce((sum, cell) => sum + (counts[cell] ?? 0), 0) };
}
