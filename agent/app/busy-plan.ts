import { DEFAULT_MAX_SHRINK } from '../edge/detection/crops.js';
import type { Box, DetectOptions, WholeFrameSearch } from '../edge/types.js';

/** A frame dropped this recently means detection is not keeping up: busy frames use the cheaper plan. */
export const BUSY_WINDOW_MS = 10_000;
/** The longest the busy plan is held after the last drop, when every return to the normal plan dropped frames at once. */
export const MAX_BUSY_WINDOW_MS = 160_000;
/** The normal plan this long without a drop: the window is back to `BUSY_WINDOW_MS`. */
export const CALM_RESET_MS = 60_000;

/**
 * Whether detection is busy: a frame was dropped within the window. The window starts at 10 s. When a
 * frame is dropped within 10 s of the busy plan ending, the normal plan could not keep up and each
 * return to it costs a few drops, so the window doubles (up to 160 s): the busy plan is held longer
 * and the returns come rarer. After 60 s of the normal plan without a drop it is 10 s again.
 */
export class BusyWindow {
  private windowMs = BUSY_WINDOW_MS;
  private wasBusy = false;
  private calmSince: number | undefined;

  /** `droppedWithin(ms)`: whether a frame was dropped in the last `ms`; `now`: monotonic ms. */
  constructor(private readonly droppedWithin: (ms: number) => boolean, private readonly now: () => number) {}

  busy(): boolean {
    const now = this.now();
    const busy = this.droppedWithin(this.windowMs);
    if (busy && !this.wasBusy && this.calmSince !== undefined && now - this.calmSince <= BUSY_WINDOW_MS) {
      this.windowMs = Math.min(MAX_BUSY_WINDOW_MS, this.windowMs * 2);
    }
    if (!busy && this.wasBusy) this.calmSince = now;
    if (!busy && this.calmSince !== undefined && now - this.calmSince >= CALM_RESET_MS) this.windowMs = BUSY_WINDOW_MS;
    this.wasBusy = busy;
    return busy;
  }

  /** How long after the last drop the busy plan is held now (ms). */
  window(): number {
    return this.windowMs;
  }
}

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
   * `busy`: whether detection is not keeping up now (`BusyWindow`); `mosaic`: whether busy frames'
   * small regions are packed into mosaic cells (`detector.whenBusy.mosaic`); `pairShrink`: with the
   * mosaic, crops that fit half an input at this shrink share inputs two by two (`whenBusy.pairs`);
   * `wholeFrame`: how whole-frame searches run on the busy plan (`whenBusy.wholeFrame`).
   */
  constructor(
    private readonly maxShrink: number, private readonly busy: () => boolean, private readonly mosaic = false,
    private readonly pairShrink?: number, private readonly wholeFrame: WholeFrameSearch = 'tiles',
  ) {}

  /** Whether busy frames are being packed into mosaics now: the hand-off then lets more frames at the pool at once. */
  packing(): boolean {
    return this.mosaic && this.maxShrink > DEFAULT_MAX_SHRINK && this.busy();
  }

  options(camera: string, regions: Box[]): DetectOptions {
    const busy = this.maxShrink > DEFAULT_MAX_SHRINK && this.busy();
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
