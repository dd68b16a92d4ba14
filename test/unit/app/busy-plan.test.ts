import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BUSY_WINDOW_MS, BusyPlan, BusyWindow, CALM_RESET_MS, MAX_BUSY_WINDOW_MS } from '../../../agent/app/busy-plan.js';
import { parseConfigText } from '../../../agent/config/load.js';
import type { DetectOptions, DetectionResult, Detector } from '../../../agent/edge/types.js';
import { FakeClock } from '../../fakes/clock.js';
import { waitFor } from '../../helpers/cli.js';
import { startPipeline } from '../../helpers/pipeline.js';

/** A grey yard with a dark block that moves 24 px a frame: motion on every frame after the first. */
function yard(step: number): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const data = Buffer.alloc(width * height * 3, 150);
  for (let y = 90; y < 170; y++) for (let x = 20 + step * 24; x < 60 + step * 24; x++) data.fill(30, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

describe('the busy plan', () => {
  it('merges regions more only while frames are being dropped, and counts those frames per camera', async () => {
    const frames = await Promise.all(Array.from({ length: 8 }, (_, i) => yard(i)));
    const clock = new FakeClock();
    const config = parseConfigText(`host: { id: busy }
mqtt: { url: 'mqtt://127.0.0.1:1' }
storage: { dataDir: /nonexistent/busy }
detector: { whenBusy: { maxShrink: 2.5 } }
cameras: [{ id: gate, snapshot: { url: 'http://127.0.0.1/' }, interval: 1s }]
`, 'busy.yaml');
    const calls: (DetectOptions | undefined)[] = [];
    let hold: Promise<void> | undefined;
    let release = () => undefined as void;
    const detector: Detector = {
      async detect(_image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
        calls.push(options);
        if (hold !== undefined) await hold;
        return { width: 320, height: 240, ms: 1, detections: [] };
      },
    };
    const { pipeline, source, stop } = await startPipeline(config, 'gate', frames, detector, clock);
    const served = (n: number) => waitFor(() => source.served >= n && pipeline.latestFrame('gate')?.jpeg === frames[n - 1], 10_000, `frame ${n}`);
    try {
      // Frames 0-2: the detector keeps up (frame 0 is the first frame's whole search).
      for (let n = 1; n <= 3; n++) {
        await served(n);
        await waitFor(() => pipeline.handoff.stats().processed === n, 10_000, `frame ${n} detected`);
        // Frame 3 will hold the detector: set before the clock moves, or a loaded machine may detect it first (CI run).
        if (n === 3) hold = new Promise<void>((resolve) => { release = resolve; });
        await clock.advance(1000);
      }
      // Frame 3 holds the detector; frames 4 and 5 arrive meanwhile and 5 replaces 4: a drop.
      await served(4);
      await waitFor(() => calls.length === 4, 10_000, 'frame 3 in detection');
      for (const n of [5, 6]) {
        await clock.advance(1000);
        await served(n);
      }
      hold = undefined;
      release();
      await waitFor(() => calls.length === 5 && pipeline.handoff.stats().processed === 5, 10_000, 'frame 5 detected');
    } finally {
      await stop();
    }
    expect(calls[0]?.regions).toBeUndefined();
    expect(calls.slice(1, 4).every((c) => c?.regions !== undefined && c.maxShrink === undefined)).toBe(true);
    expect(calls[4]).toMatchObject({ maxShrink: 2.5, mosaic: true, pairShrink: 3 });
    expect(calls[4]?.regions?.length).toBeGreaterThan(0);
    expect(pipeline.detection('gate')).toMatchObject({ offered: 6, detected: 5, dropped: 1, reduced: 1 });
  });
});

describe('the busy plan\'s options', () => {
  const whole: never[] = [];
  const regions: [number, number, number, number][] = [[0.1, 0.1, 0.5, 0.9]];

  it('asks for pairs with the mosaic, and for the busy whole-frame search, only while frames are dropped', () => {
    let dropping = false;
    const plan = new BusyPlan(2, () => dropping, true, 3, 'frame');
    expect(plan.options('a', regions)).toEqual({ regions });
    expect(plan.options('a', whole)).toEqual({});
    dropping = true;
    expect(plan.options('a', regions)).toEqual({ regions, maxShrink: 2, mosaic: true, pairShrink: 3 });
    expect(plan.options('a', whole)).toEqual({ still: 'frame', mosaic: true, pairShrink: 3 });
    expect(plan.wholeFrameSearches()).toBe(2);
    expect(plan.reducedFrames('a')).toBe(1);
  });

  it('keeps whole-frame searches as when not busy by default, and leaves pairs out when they are off', () => {
    const plan = new BusyPlan(2, () => true, true, undefined, 'tiles');
    expect(plan.options('a', whole)).toEqual({});
    expect(plan.options('a', regions)).toEqual({ regions, maxShrink: 2, mosaic: true });
    expect(new BusyPlan(2, () => true, true, 3, 'pairs').options('a', whole)).toEqual({ still: 'pairs', mosaic: true, pairShrink: 3 });
    // Without pairs, a whole-frame search in pairs is the plain one.
    expect(new BusyPlan(2, () => true, true, undefined, 'pairs').options('a', whole)).toEqual({});
    expect(new BusyPlan(2, () => true, false, 3, 'frame').options('a', whole)).toEqual({ still: 'frame' });
  });
});

describe('the busy window', () => {
  /** A clock in ms and the time of the last drop, as the hand-off keeps it. */
  function setup() {
    const state = { now: 0, lastDrop: undefined as number | undefined };
    const window = new BusyWindow((ms) => state.lastDrop !== undefined && state.now - state.lastDrop <= ms, () => state.now);
    /** Steps time by `ms`, asking whether detection is busy every second (a frame a second). */
    const run = (ms: number, dropAt?: number) => {
      for (let t = 0; t < ms; t += 1000) {
        state.now += 1000;
        if (dropAt !== undefined && t === dropAt) state.lastDrop = state.now;
        window.busy();
      }
    };
    return { state, window, run };
  }

  it('holds the busy plan 10 s after the last drop, and twice as long each time the normal plan drops at once', () => {
    const { state, window, run } = setup();
    run(1000, 0);
    expect(window.busy()).toBe(true);
    run(BUSY_WINDOW_MS);
    expect(window.busy()).toBe(true);
    run(1000);
    expect(window.busy()).toBe(false);
    // The normal plan drops a frame 2 s later: busy again, and held 20 s this time.
    run(2000, 1000);
    expect(window.window()).toBe(2 * BUSY_WINDOW_MS);
    run(15_000);
    expect(window.busy()).toBe(true);
    run(6000);
    expect(window.busy()).toBe(false);
    // Again and again: never beyond the longest window.
    for (let i = 0; i < 6; i++) {
      run(2000, 1000);
      run(window.window() + 1000);
    }
    expect(window.window()).toBe(MAX_BUSY_WINDOW_MS);
    expect(state.lastDrop).toBeDefined();
  });

  it('goes back to 10 s after a minute of the normal plan without a drop', () => {
    const { window, run } = setup();
    run(1000, 0);
    run(BUSY_WINDOW_MS + 1000);
    run(2000, 1000);
    expect(window.window()).toBe(2 * BUSY_WINDOW_MS);
    run(2 * BUSY_WINDOW_MS + 1000);
    expect(window.busy()).toBe(false);
    run(CALM_RESET_MS);
    expect(window.window()).toBe(BUSY_WINDOW_MS);
    // A drop long after the busy plan ended does not lengthen the window.
    run(1000, 0);
    expect(window.window()).toBe(BUSY_WINDOW_MS);
  });
});
