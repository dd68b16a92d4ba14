import { DEFAULT_MAX_SHRINK } from '../edge/detection/crops.js';
import type { Box, DetectOptions, WholeFrameSearch } from '../edge/types.js';

/** A frame dropped this recently means detection is not keeping up: busy frames use the cheaper plan. */
export const BUSY_WINDOW_MS = 10_000;

/**
 * Which crop plan a motion frame gets (`detector.whenBusy`, docs/capacity.md): while frames are being
 * dropped, a busy frame's regions merge into fewer, more shrunk crops, so more frames are detected
 * at all, and with `mosaic` their small regions share model inputs (and with pairs, larger crops two to an input); otherwise the normal plan. Whole-frame searches (no regions) run as `wholeFrame` says (by default as when not busy). Counts,
 * per camera, the frames detected on the busy plan (the heartbeat's `detection.reduced`).
 */
export class BusyPlan {
  private readonly reduced = new Map<string, number>();
  private whole = 0;

  /**
   * `dropping`: whether a frame was dropped within `BUSY_WINDOW_MS`; `mosaic`: whether busy frames'
   * small regions are packed into mosaic cells (`detector.whenBusy.mosaic`); `pairShrink`: with the
   * mosaic, crops that fit half an input at this shrink share inputs two by two (`whenBusy.pairs`);
   * `wholeFrame`: how whole-frame searches run on the busy plan (`whenBusy.wholeFrame`).
   */
  constructor(
    private readonly maxShrink: number, private readonly dropping: (withinMs: number) => boolean, private readonly mosaic = false,
    private readonly pairShrink?: number, private readonly wholeFrame: WholeFrameSearch = 'tiles',
  ) {}

  /** Whether busy frames are being packed into mosaics now: the hand-off then lets more frames at the pool at once. */
  packing(): boolean {
    return this.mosaic && this.maxShrink > DEFAULT_MAX_SHRINK && this.dropping(BUSY_WINDOW_MS);
  }

  options(camera: string, regions: Box[]): DetectOptions {
    const busy = this.maxShrink > DEFAULT_MAX_SHRINK && this.dropping(BUSY_WINDOW_MS);
    const packing = this.mosaic ? (this.pairShrink === undefined ? { mosaic: true } : { mosaic: true, pairShrink: this.pairShrink }) : {};
    if (regions.length === 0) {
      this.whole += 1;
      if (!busy || this.wholeFrame === 'tiles' || (this.wholeFrame === 'pairs' && this.pairShrink === undefined)) return {};
      return { still: this.wholeFrame, ...packing };
    }
    if (!busy) return { regions };
    this.reduced.set(camera, (this.reduced.get(camera) ?? 0) + 1);
    return { regions, maxShrink: this.maxShrink, ...packing };
  }

  /** Whole-frame searches (full frame and tiles: the first frame, lighting changes, `scanEvery`) since start, every camera. */
  wholeFrameSearches(): number {
    return this.whole;
  }

  /** Frames of `camera` detected on the busy plan since start. */
  reducedFrames(camera: string): number {
    return this.reduced.get(camera) ?? 0;
  }
}
