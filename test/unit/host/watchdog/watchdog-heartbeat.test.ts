import { utimes, writeFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { Heartbeat } from '../../../../agent/host/heartbeat/heartbeat.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { sweepRetention } from '../../../../agent/host/schedule/retention.js';
import type { Notifier } from '../../../../agent/host/watchdog/notifier.js';
import { ProgressTracker } from '../../../../agent/host/watchdog/progress.js';
import { Watchdog } from '../../../../agent/host/watchdog/watchdog.js';
import { tempDir } from '../../../helpers/tmp.js';

function recordingNotifier(clock: FakeClock): Notifier & { sent: { state: string; at: number }[] } {
  const sent: { state: string; at: number }[] = [];
  return { sent, notify: (state) => { sent.push({ state, at: clock.monotonicMs() }); return Promise.resolve(); } };
}

describe('systemd watchdog', () => {
  const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000' };

  it('says READY=1, pings every half period while loops progress, and stops pinging when one stalls', async () => {
    const clock = new FakeClock();
    const notifier = recordingNotifier(clock);
    const progress = new ProgressTracker(() => clock.monotonicMs());
    const cameras = progress.loop('cameras');
    const outbox = progress.loop('outbox');
    const watchdog = new Watchdog({ env, clock, logger: silentLogger(), notifier, progress, maxQuietMs: 30_000 });
    await watchdog.start();
    expect(notifier.sent).toEqual([{ state: 'READY=1', at: 0 }]);
    for (let t = 0; t < 60; t++) {
      cameras();
      outbox();
      await clock.advance(1000);
    }
    expect(notifier.sent.filter((n) => n.state === 'WATCHDOG=1').map((n) => n.at)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);

    // The camera loop hangs; the outbox keeps going. After maxQuiet the pings stop.
    for (let t = 0; t < 120; t++) {
      outbox();
      await clock.advance(1000);
    }
    const pings = notifier.sent.filter((n) => n.state === 'WATCHDOG=1').map((n) => n.at);
    expect(pings.at(-1)).toBe(80_000); // cameras last progressed at 59 s: the 90 s tick finds it 31 s quiet
    expect(progress.stalled(30_000)).toEqual(['cameras']);

    cameras(); // it recovers: pings resume
    await clock.advance(10_000);
    expect(notifier.sent.filter((n) => n.state === 'WATCHDOG=1').at(-1)?.at).toBe(190_000);
    await watchdog.stop();
    expect(notifier.sent.at(-1)?.state).toBe('STOPPING=1');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does nothing when not started by systemd, and only READY=1 without WatchdogSec', async () => {
    const clock = new FakeClock();
    const progress = new ProgressTracker(() => clock.monotonicMs());
    const outside = recordingNotifier(clock);
    const plain = new Watchdog({ env: {}, clock, logger: silentLogger(), notifier: outside, progress, maxQuietMs: 30_000 });
    await plain.start();
    await clock.advance(60_000);
    await plain.stop();
    expect(outside.sent).toEqual([]);
    const readyOnly = recordingNotifier(clock);
    const noWatchdog = new Watchdog({ env: { NOTIFY_SOCKET: '/x' }, clock, logger: silentLogger(), notifier: readyOnly, progress, maxQuietMs: 30_000 });
    await noWatchdog.start();
    await clock.advance(60_000);
    await noWatchdog.stop();
    expect(readyOnly.sent.map((n) => n.state)).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('ignores a WATCHDOG_PID meant for another process, and survives a failing notifier', async () => {
    const clock = new FakeClock();
    const progress = new ProgressTracker(() => clock.monotonicMs());
    let calls = 0;
    const failing: Notifier = { notify: () => { calls++; return Promise.reject(new Error('spawn systemd-notify ENOENT')); } };
    const watchdog = new Watchdog({ env: { ...env, WATCHDOG_PID: '1' }, clock, logger: silentLogger(), notifier: failing, progress, maxQuietMs: 30_000, pid: 4242 });
    await watchdog.start();
    await clock.advance(60_000);
    await watchdog.stop();
    expect(calls).toBe(2); // READY=1 and STOPPING=1 only
  });
});

describe('heartbeat', () => {
  it('publishes every interval with what its sources give, and leaves out missing sources', async () => {
    const clock = new FakeClock();
    const link = new MemoryStationLink();
    const beats: number[] = [];
    const heartbeat = new Heartbeat({
      link, clock, logger: silentLogger(), interval: 30_000, version: '0.1.0', onBeat: () => beats.push(clock.monotonicMs()),
      sources: {
        host: () => ({ uptimeS: 1234, cpuTempC: 51.5 }),
        cameras: () => [{ id: 'gate', state: 'online', reason: null }],
        link: () => ({ connected: true, outboxDepth: 7, dropped: 1 }),
        modelVersion: () => 'mb3-centernet@1',
      },
    });
    await heartbeat.start();
    clock.jumpWall(3_600_000 * 24 * 365); // NTP fixes the clock at boot: uptime must not jump
    await clock.advance(60_000);
    expect(beats).toEqual([0, 30_000, 60_000]);
    expect(link.heartbeat).toEqual({
      ts: '2027-01-01T00:01:00.000Z', uptimeS: 1234, agentUptimeS: 60, version: '0.1.0', intervalS: 30,
      host: { uptimeS: 1234, cpuTempC: 51.5 },
      cameras: [{ id: 'gate', state: 'online', reason: null }],
      outbox: { connected: true, depth: 7, dropped: 1 },
      model: { version: 'mb3-centernet@1' },
    });
    await heartbeat.stop();
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('retention', () => {
  it('sweeps old files, then the oldest until the rest fits the budget, never the outbox', async () => {
    const config = { budget: 4000, maxAge: 86_400_000, dirs: ['patrol', 'thumbnails'] };
    const dir = await tempDir();
    const now = Date.now();
    await mkdir(join(dir, 'patrol'));
    await mkdir(join(dir, 'thumbnails'));
    await mkdir(join(dir, 'outbox'));
    const file = async (path: string, size: number, ageH: number) => {
      await writeFile(join(dir, path), Buffer.alloc(size));
      const t = new Date(now - ageH * 3_600_000);
      await utimes(join(dir, path), t, t);
    };
    await file('patrol/old.jpg', 100, 48); // past maxAge
    await file('thumbnails/a.jpg', 2000, 10);
    await file('thumbnails/b.jpg', 1500, 5);
    await file('patrol/new.jpg', 1500, 1);
    await file('outbox/never.bin', 50_000, 100); // not the sweep's to touch
    const result = await sweepRetention({ fs: realFileSystem, dataDir: dir, config, nowMs: now, logger: silentLogger() });
    expect(result).toEqual({ removed: 2, freedBytes: 2100, keptBytes: 3000 });
    expect(await readdir(join(dir, 'thumbnails'))).toEqual(['b.jpg']);
    expect(await readdir(join(dir, 'patrol'))).toEqual(['new.jpg']);
    expect(await readdir(join(dir, 'outbox'))).toEqual(['never.bin']);
  });
});
