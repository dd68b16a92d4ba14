import type { GreyImage } from '../imaging/grey.js';
import type { Box } from '../types.js';

/** A pixel differs when its grey level moved by more than this (0-255). */
const PIXEL_THRESHOLD = 20;
/** A box is unchanged while fewer than this fraction of its pixels differ. */
const CHANGED_FRACTION = 0.03;

/**
 * One camera's last few small grey frames (the motion gate's), by capture time, to tell whether the
 * picture inside a box has changed since a given frame: the test for keeping a still object
 * without running the detector on it again. Bounded: `size` frames (about 20 KB each at 160 px).
 */
export class GreyHistory {
  private readonly frames: { mono: number; grey: GreyImage }[] = [];

  /** `size`: by default 12, at 1 frame/s back past the events stage's 10 s still-object recheck. */
  constructor(private readonly size = 12) {}

  add(mono: number, grey: GreyImage): void {
    this.frames.push({ mono, grey });
    if (this.frames.length > this.size) this.frames.shift();
  }

  /**
   * Whether the newest frame shows the same picture as the frame taken at `sinceMono` inside `box`
   * (normalised). False when that frame is no longer held or the sizes differ: look again.
   */
  unchangedSince(sinceMono: number, box: Box): boolean {
    const now = this.frames.at(-1);
    const then = this.frames.find((f) => f.mono === sinceMono);
    if (now === undefined || then === undefined || now.grey.width !== then.grey.width || now.grey.height !== then.grey.height) return false;
    const { width, height } = now.grey;
    const x0 = Math.max(0, Math.floor(box[0] * width));
    const x1 = Math.min(width, Math.ceil(box[2] * width));
    const y0 = Math.max(0, Math.floor(box[1] * height));
    const y1 = Math.min(height, Math.ceil(box[3] * height));
    const pixels = (x1 - x0) * (y1 - y0);
    if (pixels <= 0) return false;
    let changed = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * width + x;
        if (Math.abs((now.grey.data[i] ?? 0) - (then.grey.data[i] ?? 0)) > PIXEL_THRESHOLD) changed++;
      }
    }
    return changed < pixels * CHANGED_FRACTION;
  }
}
