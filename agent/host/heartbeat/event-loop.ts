import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import type { EventLoopSummary } from '../../link/contract/v1.js';
import type { Module } from '../../core/module.js';

/**
 * How well the main thread keeps up: the delay of its timers and I/O callbacks (a histogram
 * sampled every 10 ms) and the share of time it was busy. Each `read()` covers the time since the
 * previous one, so a heartbeat reports its own interval. A main thread that stays responsive
 * while the cameras are busy is what keeps MQTT, polling and the watchdog on time.
 */
export class EventLoopMeter implements Module {
  readonly name = 'event-loop-meter';
  private histogram: IntervalHistogram | undefined;
  private lastUtilisation: EventLoopUtilization | undefined;

  start(): Promise<void> {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.lastUtilisation = performance.eventLoopUtilization();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.histogram?.disable();
    this.histogram = undefined;
    return Promise.resolve();
  }

  /** Since the last read; zeros before start. */
  read(): EventLoopSummary {
    const histogram = this.histogram;
    if (histogram === undefined || this.lastUtilisation === undefined) return { delayP99Ms: 0, delayMaxMs: 0, utilisation: 0 };
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, this.lastUtilisation);
    this.lastUtilisation = now;
    const summary = {
      delayP99Ms: round(histogram.count === 0 ? 0 : histogram.percentile(99) / 1e6),
      delayMaxMs: round(histogram.count === 0 ? 0 : histogram.max / 1e6),
      utilisation: round(since.utilization, 3),
    };
    histogram.reset();
    return summary;
  }
}

function round(v: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
