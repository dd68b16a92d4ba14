import type { MotionConfig } from '../config/sections/camera-pipeline.js';
import type { GreyImage } from '../imaging/grey.js';
import type { Box } from '../pipeline/types.js';

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
    const gain = brightnessGain(data, background);
    const changed = new Uint8Array(width * height);
    let count = 0;
    for (let i = 0; i < data.length; i++) {
      if (Math.abs((data[i] ?? 0) * gain - (background[i] ?? 0)) > this.config.threshold) {
        changed[i] = 1;
        count++;
      }
    }
    const changedRatio = count / data.length;
    if (changedRatio > this.config.lightingChange) {
      this.adopt(image);
      return { regions: [], changedRatio, lightingChange: true };
    }
    const regions = count === 0 ? [] : this.regionsOf(changed);
    this.learn(data, changed, gain);
    return { regions, changedRatio, lightingChange: false };
  }

  private adopt(image: GreyImage): void {
    this.width = image.width;
    this.height = image.height;
    this.background = Float32Array.from(image.data);
  }

  private learn(data: Uint8Array, changed: Uint8Array, gain: number): void {
    const background = this.background as Float32Array;
    const rate = this.config.backgroundRate;
    for (let i = 0; i < data.length; i++) {
      const r = changed[i] === 1 ? rate * MOVING_RATE_FACTOR : rate;
      const b = background[i] ?? 0;
      background[i] = b + r * ((data[i] ?? 0) * gain - b);
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

/** The factor that brings the frame's mean brightness to the background's, bounded. */
function brightnessGain(data: Uint8Array, background: Float32Array): number {
  let sumFrame = 0;
  let sumBackground = 0;
  for (let i = 0; i < data.length; i++) {
    sumFrame += data[i] ?? 0;
    sumBackground += background[i] ?? 0;
  }
  if (sumFrame < data.length) return 1; // nearly black: no meaningful gain
  return Math.min(2, Math.max(0.5, sumBackground / sumFrame));
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
