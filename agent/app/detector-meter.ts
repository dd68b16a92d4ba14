import type { DetectorLoadSummary } from '../link/contract/v1.js';
import type { DetectionResult, DetectOptions, Detector } from '../edge/types.js';

/** Wraps a detector to keep the mean inference time of its recent calls, for the heartbeat. */
export class DetectorMeter implements Detector {
  private readonly recent: number[] = [];

  constructor(private readonly inner: Detector, private readonly window = 50) {}

  async detect(image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
    const result = await this.inner.detect(image, options);
    this.recent.push(result.ms);
    if (this.recent.length > this.window) this.recent.shift();
    return result;
  }

  /** Mean ms of the last calls, or null before the first. */
  avgMs(): number | null {
    if (this.recent.length === 0) return null;
    return Math.round(this.recent.reduce((sum, ms) => sum + ms, 0) / this.recent.length);
  }
}

/** The pool's counters that the load is computed from (`DetectorPool.stats()`). */
export interface PoolCounters {
  workers: number;
  inferences: number;
  workerBusyMs: number;
}

/**
 * The detector's load between two reads (one heartbeat interval): worker utilisation and model
 * runs per second, from the pool's cumulative counters and the monotonic clock.
 */
export class DetectorLoad {
  private last: { mono: number; inferences: number; busyMs: number } | undefined;

  constructor(private readonly counters: () => PoolCounters, private readonly monotonicMs: () => number) {}

  /** Since the previous read; the first read covers nothing and reports zeros. */
  read(): DetectorLoadSummary {
    const now = this.counters();
    const mono = this.monotonicMs();
    const last = this.last ?? { mono, inferences: now.inferences, busyMs: now.workerBusyMs };
    this.last = { mono, inferences: now.inferences, busyMs: now.workerBusyMs };
    const seconds = (mono - last.mono) / 1000;
    if (seconds <= 0 || now.workers === 0) return { workers: now.workers, utilisation: 0, inferencesPerS: 0 };
    return {
      workers: now.workers,
      utilisation: round(Math.min(1, (now.workerBusyMs - last.busyMs) / 1000 / seconds / now.workers), 3),
      inferencesPerS: round((now.inferences - last.inferences) / seconds, 2),
    };
  }
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
