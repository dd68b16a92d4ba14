import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../../agent/core/backoff.js';
import { cameraFault } from '../../../../agent/core/camera-fault.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import type { Frame, FrameSource } from '../../../../agent/edge/types.js';
import { FakeClock } from '../../../fakes/clock.js';
import { ABANDON_AFTER_MS, CameraPoller, type PollFailure } from '../../../../agent/edge/sampling/camera-poller.js';
import { LatestFrameHandoff } from '../../../../agent/edge/sampling/latest-frame-handoff.js';

/** A source whose answer the test decides per grab: a frame, a failure, never (until aborted), or never at all. */
class ScriptedSource implements FrameSource {
  readonly camera = 'cam';
  grabs: number[] = [];
  constructor(private readonly clock: FakeClock, private readonly behave: (n: number) => 'frame' | 'fail' | 'hang' | 'ignore') {}
  start(): Promise<void> { return Promise.resolve(); }
  stop(): Promise<void> { return Promise.resolve(); }
  grab(signal: AbortSignal): Promise<Frame> {
    this.grabs.push(this.clock.monotonicMs());
    const what = this.behave(this.grabs.length);
    if (what === 'frame') return Promise.resolve({ camera: 'cam', capturedAt: this.clock.now(), mono: this.clock.monotonicMs(), jpeg: Buffer.alloc(1) });
    if (what === 'fail') return Promise.reject(cameraFault('unreachable', 'ECONNREFUSED'));
    if (what === 'ignore') return new Promise(() => undefined); // deaf to its signal, like a body read Node's fetch lost the abort of
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(cameraFault('timeout', 'deadline')), { once: true }));
  }
}

function poller(clock: FakeClock, source: FrameSource, failures: PollFailure[], frames: Frame[]) {
  return new CameraPoller({
    source, intervalMs: 1000, timeoutMs: 300, clock, logger: silentLogger(), random: () => 1,
    backoff: { minMs: 1000, maxMs: 8000 },
    onFrame: (f) => { frames.push(f); return Promise.resolve(); },
    onFailure: (f) => failures.push(f),
  });
}

describe('sampling', () => {
  it('grabs once per interval and ends a hung request at its deadline', async () => {
    const clock = new FakeClock();
    const source = new ScriptedSource(clock, (n) => (n === 3 ? 'hang' : 'frame'));
    const failures: PollFailure[] = [];
    const frames: Frame[] = [];
    const p = poller(clock, source, failures, frames);
    await p.start();
    await clock.advance(4500);
    await p.stop();
    expect(source.grabs.slice(0, 3)).toEqual([0, 1000, 2000]);
    expect(failures).toEqual([{ reason: 'timeout', message: 'deadline', mono: 2300 }]);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives up on a grab that ignores its deadline, and samples again', async () => {
    const clock = new FakeClock();
    const source = new ScriptedSource(clock, (n) => (n === 1 ? 'ignore' : 'frame'));
    const failures: PollFailure[] = [];
    const frames: Frame[] = [];
    const p = poller(clock, source, failures, frames);
    await p.start();
    await clock.advance(300 + ABANDON_AFTER_MS + 1000);
    await p.stop();
    expect(failures).toEqual([{ reason: 'timeout', message: `the grab was abandoned ${ABANDON_AFTER_MS} ms after its deadline of 300 ms`, mono: 300 + ABANDON_AFTER_MS }]);
    expect(source.grabs[1]).toBe(300 + ABANDON_AFTER_MS); // the abandoned grab took longer than the backoff already
    expect(frames.length).toBeGreaterThan(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('stops while a grab ignores the stop, without waiting for it', async () => {
    const clock = new FakeClock();
    const source = new ScriptedSource(clock, () => 'ignore');
    const failures: PollFailure[] = [];
    const p = new CameraPoller({
      source, intervalMs: 1000, timeoutMs: 60_000, clock, logger: silentLogger(),
      onFrame: () => Promise.resolve(), onFailure: (f) => failures.push(f),
    });
    await p.start();
    await clock.advance(100);
    let stopped = false;
    const stopping = p.stop().then(() => { stopped = true; });
    await clock.advance(ABANDON_AFTER_MS - 1);
    expect(stopped).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(failures).toEqual([]); // a stop is not a camera failure
    expect(clock.pendingTimers()).toBe(0);
  });

  it('backs off exponentially while the camera fails, and resumes the interval after', async () => {
    const clock = new FakeClock();
    const source = new ScriptedSource(clock, (n) => (n <= 5 ? 'fail' : 'frame'));
    const p = poller(clock, source, [], []);
    await p.start();
    await clock.advance(40_000);
    await p.stop();
    const gaps = source.grabs.slice(1, 8).map((t, i) => t - (source.grabs[i] ?? 0));
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 8000, 1000, 1000]);
  });

  it('spreads retries with jitter between half and all of the step', () => {
    const bounds = { minMs: 1000, maxMs: 30_000 };
    expect(backoffDelay(3, bounds, () => 0)).toBe(2000);
    expect(backoffDelay(3, bounds, () => 1)).toBe(4000);
    expect(backoffDelay(50, bounds, () => 1)).toBe(30_000);
  });

  it('hands over the latest frame per camera and counts the ones it replaced', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const handoff = new LatestFrameHandoff<{ camera: string; mono: number; n: number }>({
      concurrency: 1, clock, logger: silentLogger(),
      process: (item) => {
        seen.push(`${item.camera}${item.n}`);
        return new Promise<void>((resolve) => { release = resolve; });
      },
    });
    await handoff.start();
    handoff.offer({ camera: 'a', mono: 0, n: 1 }); // taken at once
    await clock.advance(0);
    handoff.offer({ camera: 'a', mono: 0, n: 2 });
    handoff.offer({ camera: 'b', mono: 0, n: 1 });
    handoff.offer({ camera: 'a', mono: 0, n: 3 }); // replaces a2, keeps a's place in line
    for (let i = 0; i < 3; i++) {
      release();
      await clock.advance(0);
    }
    await handoff.stop();
    expect(seen).toEqual(['a1', 'a3', 'b1']);
    expect(handoff.stats()).toMatchObject({ offered: 4, processed: 3, dropped: 1, dropsByCamera: { a: 1 } });
  });

  it('keeps every lane busy but never works on two frames of one camera at once', async () => {
    const clock = new FakeClock();
    const running: string[] = [];
    const releases = new Map<string, () => void>();
    const handoff = new LatestFrameHandoff<{ camera: string; mono: number; n: number }>({
      concurrency: 2, clock, logger: silentLogger(),
      process: (item) => {
        running.push(`${item.camera}${item.n}`);
        return new Promise<void>((resolve) => releases.set(`${item.camera}${item.n}`, resolve));
      },
    });
    await handoff.start();
    handoff.offer({ camera: 'a', mono: 0, n: 1 });
    await clock.advance(0);
    handoff.offer({ camera: 'a', mono: 0, n: 2 }); // a1 is still in processing: a2 waits
    handoff.offer({ camera: 'b', mono: 0, n: 1 }); // the second lane takes b1 before a2
    await clock.advance(0);
    expect(running).toEqual(['a1', 'b1']);
    handoff.offer({ camera: 'a', mono: 0, n: 3 }); // replaces a2
    await clock.advance(400);
    releases.get('a1')?.();
    await clock.advance(0);
    expect(running).toEqual(['a1', 'b1', 'a3']);
    releases.get('b1')?.();
    releases.get('a3')?.();
    await clock.advance(0);
    await handoff.stop();
    const stats = handoff.stats();
    expect(stats.byCamera).toEqual({
      a: { offered: 3, detected: 2, dropped: 1, latencyP50Ms: 400, latencyP95Ms: 400 },
      b: { offered: 1, detected: 1, dropped: 0, latencyP50Ms: 400, latencyP95Ms: 400 },
    });
    expect(stats).toMatchObject({ offered: 4, processed: 3, dropped: 1, dropsByCamera: { a: 1 } });
  });

  it('lets its extra lanes take only the items they accept (frames packed into mosaics)', async () => {
    const clock = new FakeClock();
    const running: string[] = [];
    const releases: (() => void)[] = [];
    const handoff = new LatestFrameHandoff<{ camera: string; mono: number; n: number; small: boolean }>({
      concurrency: 1, clock, logger: silentLogger(),
      extraLanes: { count: 2, takes: (item) => item.small },
      process: (item) => {
        running.push(item.camera);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    });
    await handoff.start();
    handoff.offer({ camera: 'a', mono: 0, n: 1, small: false });
    handoff.offer({ camera: 'b', mono: 0, n: 1, small: false }); // no lane for it: a's lane is busy, extra lanes refuse it
    handoff.offer({ camera: 'c', mono: 0, n: 1, small: true });
    handoff.offer({ camera: 'd', mono: 0, n: 1, small: true });
    handoff.offer({ camera: 'e', mono: 0, n: 1, small: true }); // every lane busy
    await clock.advance(0);
    expect(running).toEqual(['a', 'c', 'd']);
    for (const release of releases.splice(0)) release();
    await clock.advance(0);
    expect(running.slice(3).sort()).toEqual(['b', 'e']);
    for (const release of releases.splice(0)) release();
    await handoff.stop();
    expect(handoff.stats()).toMatchObject({ offered: 5, processed: 5, dropped: 0 });
  });
});
