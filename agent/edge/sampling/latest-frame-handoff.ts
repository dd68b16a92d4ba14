import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';

export interface HandoffItem {
  camera: string;
  /** Monotonic capture time, for end-to-end latency. */
  mono: number;
}

/** One camera's share of the hand-off, since start. */
export interface CameraHandoffStats {
  /** Items handed in. */
  offered: number;
  /** Items processed (detected and tracked). */
  detected: number;
  /** Items replaced by a newer one before they were processed. */
  dropped: number;
  /** Capture to end of processing over this camera's recent items (ms). */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export interface HandoffStats {
  /** Items handed in, per camera and in total. */
  offered: number;
  processed: number;
  /** Items replaced by a newer one of the same camera before they were processed. */
  dropped: number;
  dropsByCamera: Record<string, number>;
  byCamera: Record<string, CameraHandoffStats>;
  /** Capture to end of processing, over the recent items (ms). */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyMaxMs: number | null;
}

export interface LatestFrameHandoffOptions<T extends HandoffItem> {
  /** How many items are processed at once (the detector pool's size, plus one waiting at it). */
  concurrency: number;
  process(item: T): Promise<void>;
  /**
   * Lanes beyond `concurrency` that take only the items `takes` accepts (frames the detector packs
   * several to an input, so it takes more of them at once).
   */
  extraLanes?: { count: number; takes(item: T): boolean } | undefined;
  clock: Clock;
  logger: Logger;
}

const LATENCY_WINDOW = 1024;
const CAMERA_LATENCY_WINDOW = 64;

interface CameraCounts {
  offered: number;
  detected: number;
  dropped: number;
  latencies: number[];
}

/**
 * The bounded hand-off from sampling to detection: one slot per camera, latest frame wins.
 * When detection is slower than the cameras, a waiting frame is replaced by the newer one and
 * counted as dropped; nothing queues without bound. Cameras are served in the order they began
 * waiting, so a busy camera cannot starve a quiet one, and a camera has at most one item in
 * processing at a time, so its frames are tracked in the order they were captured.
 */
export class LatestFrameHandoff<T extends HandoffItem> implements Module {
  readonly name = 'detection-handoff';
  private readonly slots = new Map<string, T>();
  private readonly inFlight = new Set<string>();
  private readonly cameras = new Map<string, CameraCounts>();
  private readonly latencies: number[] = [];
  private offered = 0;
  private processed = 0;
  private lastDropMono: number | undefined;
  private wake: (() => void) | undefined;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: LatestFrameHandoffOptions<T>) {}

  /** Items processed at once. */
  get lanes(): number {
    return Math.max(1, this.options.concurrency);
  }

  start(): Promise<void> {
    this.running = true;
    const extra = Math.max(0, this.options.extraLanes?.count ?? 0);
    this.workers = Array.from({ length: this.lanes + extra }, (_, i) => this.work(i >= this.lanes));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await Promise.all(this.workers);
    this.slots.clear();
  }

  offer(item: T): void {
    this.offered++;
    const counts = this.countsOf(item.camera);
    counts.offered++;
    if (this.slots.has(item.camera)) {
      counts.dropped++;
      this.lastDropMono = this.options.clock.monotonicMs();
    }
    this.slots.set(item.camera, item);
    this.wake?.();
  }

  /** Whether a frame (of any camera) was dropped in the last `ms`: detection is not keeping up. */
  droppedWithin(ms: number): boolean {
    return this.lastDropMono !== undefined && this.options.clock.monotonicMs() - this.lastDropMono <= ms;
  }

  stats(): HandoffStats {
    const overall = percentiles(this.latencies);
    const byCamera: Record<string, CameraHandoffStats> = {};
    const dropsByCamera: Record<string, number> = {};
    let dropped = 0;
    for (const [camera, c] of this.cameras) {
      const p = percentiles(c.latencies);
      byCamera[camera] = { offered: c.offered, detected: c.detected, dropped: c.dropped, latencyP50Ms: p.p50, latencyP95Ms: p.p95 };
      if (c.dropped > 0) dropsByCamera[camera] = c.dropped;
      dropped += c.dropped;
    }
    return {
      offered: this.offered,
      processed: this.processed,
      dropped,
      dropsByCamera,
      byCamera,
      latencyP50Ms: overall.p50,
      latencyP95Ms: overall.p95,
      latencyMaxMs: overall.max,
    };
  }

  private countsOf(camera: string): CameraCounts {
    let counts = this.cameras.get(camera);
    if (counts === undefined) {
      counts = { offered: 0, detected: 0, dropped: 0, latencies: [] };
      this.cameras.set(camera, counts);
    }
    return counts;
  }

  private async work(extra: boolean): Promise<void> {
    while (this.running) {
      const item = this.take(extra);
      if (item === undefined) {
        await this.sleep();
        continue;
      }
      this.inFlight.add(item.camera);
      try {
        await this.options.process(item);
      } catch (err) {
        this.options.logger.error({ err, camera: item.camera }, 'detection hand-off: processing failed');
      } finally {
        this.inFlight.delete(item.camera);
      }
      this.record(item);
      // A frame of this camera may have waited while this one was processed.
      if (this.slots.has(item.camera)) this.wake?.();
    }
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        this.wake = undefined;
        previous?.();
        resolve();
      };
    });
  }

  private record(item: T): void {
    const latency = this.options.clock.monotonicMs() - item.mono;
    this.processed++;
    push(this.latencies, latency, LATENCY_WINDOW);
    const counts = this.countsOf(item.camera);
    counts.detected++;
    push(counts.latencies, latency, CAMERA_LATENCY_WINDOW);
  }

  /** The camera that has waited longest among those with nothing in processing (an extra lane's kind). */
  private take(extra: boolean): T | undefined {
    for (const [camera, item] of this.slots) {
      if (this.inFlight.has(camera)) continue;
      if (extra && this.options.extraLanes?.takes(item) !== true) continue;
      this.slots.delete(camera);
      return item;
    }
    return undefined;
  }
}

function push(window: number[], value: number, size: number): void {
  window.push(value);
  if (window.length > size) window.shift();
}

function percentiles(values: readonly number[]): { p50: number | null; p95: number | null; max: number | null } {
  if (values.length === 0) return { p50: null, p95: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: pick(0.5), p95: pick(0.95), max: Math.round(sorted.at(-1) ?? 0) };
}
