import { DEFAULT_MAX_SHRINK } from '../edge/detection/crops.js';
import type { Box, DetectOptions } from '../edge/types.js';

/** A frame dropped this recently means detection is not keeping up: busy frames use the cheaper plan. */
export const BUSY_WINDOW_MS = 10_000;

/**
 * Which crop plan a motion frame gets (`detector.whenBusy`, docs/capacity.md): while frames are being
 * dropped, a busy frame's regions merge into fewer, more shrunk crops, so more frames are detected
 * at all, and with `mosaic` their small regions share model inputs; otherwise the normal plan. Whole-frame searches (no regions) keep their full plan. Counts,
 * per camera, the frames detected on the busy plan (the heartbeat's `detection.reduced`).
 */
export class BusyPlan {
  private readonly reduced = new Map<string, number>();

  /**
   * `dropping`: whether a frame was dropped within `BUSY_WINDOW_MS`; `mosaic`: whether busy frames'
   * small regions are packed into mosaic cells (`detector.whenBusy.mosaic`).
   */
  constructor(private readonly maxShrink: number, private readonly dropping: (withinMs: number) => boolean, private readonly mosaic = false) {}

  /** Whether busy frames are being packed into mosaics now: the hand-off then lets more frames at the pool at once. */
  packing(): boolean {
    return this.mosaic && this.maxShrink > DEFAULT_MAX_SHRINK && this.dropping(BUSY_WINDOW_MS);
  }

  options(camera: string, regions: Box[]): DetectOptions {
    if (regions.length === 0) return {};
    if (this.maxShrink <= DEFAULT_MAX_SHRINK || !this.dropping(BUSY_WINDOW_MS)) return { regions };
    this.reduced.set(camera, (this.reduced.get(camera) ?? 0) + 1);
    return this.mosaic ? { regions, maxShrink: this.maxShrink, mosaic: true } : { regions, maxShrink: this.maxShrink };
  }

  /** Frames of `camera` detected on the busy plan since start. */
  reducedFrames(camera: string): number {
    return this.reduced.get(camera) ?? 0;
  }
}
