import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { Clock } from '../ports/clock.js';

export interface HandoffItem {
  camera: string;
  /** Monotonic capture time, for end-to-end latency. */
  mono: number;
}

export interface HandoffStats {
  /** Items handed in, per camera and in total. */
  offered: number;
  processed: number;
  /** Items replaced by a newer one of the same camera before they were processed. */
  dropped: number;
  dropsByCamera: Record<string, number>;
  /** Capture to end of processing, over the recent items (ms). */
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyMaxMs: number | null;
}

export interface LatestFrameHandoffOptions<T extends HandoffItem> {
  /** How many items are processed at once (the detector pool's size). */
  concurrency: number;
  process(item: T): Promise<void>;
  clock: Clock;
  logger: Logger;
}

const LATENCY_WINDOW = 256;

/**
 * The bounded hand-off from sampling to detection: one slot per camera, latest frame wins.
 * When detection is slower than the cameras, a waiting frame is replaced by the newer one and
 * counted as dropped; nothing queues without bound. Cameras are served in the order they began
 * waiting, so a busy camera cannot starve a quiet one.
 */
export class LatestFrameHandoff<T extends HandoffItem> implements Module {
  readonly name = 'detection-handoff';
  private readonly slots = new Map<string, T>();
  private readonly drops = new Map<string, number>();
  private readonly latencies: number[] = [];
  private offered = 0;
  private processed = 0;
  private wake: (() => void) | undefined;
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: LatestFrameHandoffOptions<T>) {}

  start(): Promise<void> {
    this.running = true;
    this.workers = Array.from({ length: Math.max(1, this.options.concurrency) }, () => this.work());
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
    if (this.slots.has(item.camera)) this.drops.set(item.camera, (this.drops.get(item.camera) ?? 0) + 1);
    this.slots.set(item.camera, item);
    this.wake?.();
  }

  stats(): HandoffStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0));
    return {
      offered: this.offered,
      processed: this.processed,
      dropped: [...this.drops.values()].reduce((a, b) => a + b, 0),
      dropsByCamera: Object.fromEntries(this.drops),
      latencyP50Ms: pick(0.5),
      latencyP95Ms: pick(0.95),
      latencyMaxMs: sorted.length === 0 ? null : Math.round(sorted.at(-1) ?? 0),
    };
  }

  private async work(): Promise<void> {
    while (this.running) {
      const item = this.take();
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          const previous = this.wake;
          this.wake = () => {
            this.wake = undefined;
            previous?.();
            resolve();
          };
        });
        continue;
      }
      try {
        await this.options.process(item);
      } catch (err) {
        this.options.logger.error({ err, camera: item.camera }, 'detection hand-off: processing failed');
      }
      this.processed++;
      this.latencies.push(this.options.clock.monotonicMs() - item.mono);
      if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    }
  }

  private take(): T | undefined {
    const first = this.slots.entries().next();
    if (first.done === true) return undefined;
    const [camera, item] = first.value;
    this.slots.delete(camera);
    return item;
  }
}
