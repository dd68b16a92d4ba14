import { describe, expect, it } from 'vitest';
import { DetectorLoad, type PoolCounters } from '../../../../agent/app/detector-meter.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { EventLoopMeter } from '../../../../agent/host/heartbeat/event-loop.js';
import { Heartbeat } from '../../../../agent/host/heartbeat/heartbeat.js';
import { FakeClock } from '../../../fakes/clock.js';

describe('detector load in the heartbeat', () => {
  it('reports utilisation and inferences per second over the time since the last read', () => {
    let mono = 0;
    const counters: PoolCounters = { workers: 2, inferences: 100, workerBusyMs: 50_000 };
    const load = new DetectorLoad(() => counters, () => mono);
    expect(load.read()).toEqual({ workers: 2, utilisation: 0, inferencesPerS: 0 });
    mono = 30_000;
    counters.inferences += 150; // 5 per second
    counters.workerBusyMs += 45_000; // 45 s of 60 worker-seconds
    expect(load.read()).toEqual({ workers: 2, utilisation: 0.75, inferencesPerS: 5 });
    mono = 60_000; // idle since
    expect(load.read()).toEqual({ workers: 2, utilisation: 0, inferencesPerS: 0 });
  });
});

describe('event-loop meter', () => {
  it('sees the main thread blocked, then forgets it at the next read', async () => {
    const meter = new EventLoopMeter();
    expect(meter.read()).toEqual({ delayP99Ms: 0, delayMaxMs: 0, utilisation: 0 });
    await meter.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const end = performance.now() + 120;
    while (performance.now() < end); // the main thread held, as a long synchronous task would
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blocked = meter.read();
    expect(blocked.delayMaxMs).toBeGreaterThanOrEqual(100);
    expect(blocked.utilisation).toBeGreaterThan(0.3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(meter.read().delayMaxMs).toBeLessThan(blocked.delayMaxMs);
    await meter.stop();
  });
});

describe('heartbeat detection fields', () => {
  it('carries each camera\'s detection counts, the detector load and the event loop, and runs its meters only while it runs', async () => {
    const link = new MemoryStationLink();
    const meter = { name: 'meter', running: false, start() { this.running = true; return Promise.resolve(); }, stop() { this.running = false; return Promise.resolve(); } };
    const detection = { offered: 10, detected: 8, dropped: 2, latencyP50Ms: 600, latencyP95Ms: 1400 };
    const heartbeat = new Heartbeat({
      link, clock: new FakeClock(), logger: silentLogger(), interval: 30_000, version: '0.1.0', meters: [meter],
      sources: {
        cameras: () => [{ id: 'gate', state: 'online', reason: null, detection }],
        detector: () => ({ backend: 'wasm', avgMs: 300, workers: 2, utilisation: 0.9, inferencesPerS: 6 }),
        eventLoop: () => ({ delayP99Ms: 20, delayMaxMs: 45, utilisation: 0.1 }),
      },
    });
    await heartbeat.start();
    expect(meter.running).toBe(true);
    expect(link.heartbeat).toMatchObject({
      cameras: [{ id: 'gate', detection }],
      detector: { workers: 2, utilisation: 0.9, inferencesPerS: 6 },
      eventLoop: { delayP99Ms: 20, delayMaxMs: 45, utilisation: 0.1 },
    });
    await heartbeat.stop();
    expect(meter.running).toBe(false);
  });
});
