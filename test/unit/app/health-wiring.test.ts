import { describe, expect, it } from 'vitest';
import { buildHealthModules } from '../../../agent/app/health-modules.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';
import { Lifecycle } from '../../../agent/core/lifecycle.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { FakeClock } from '../../fakes/clock.js';
import { FakeGpio } from '../../fakes/gpio.js';
import { ClockScheduler } from '../../fakes/scheduler.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { DataDir } from '../../../agent/host/state/data-dir.js';
import { tempDir } from '../../helpers/tmp.js';

describe('health side modules in the composition root', () => {
  it('tees camera status from the link to the LED, relays and heartbeat, and tells systemd it is ready', async () => {
    const dir = await tempDir();
    const clock = new FakeClock();
    const gpio = new FakeGpio(() => clock.monotonicMs());
    const config = parseConfigText(`host: { id: h }
mqtt: { url: mqtt://127.0.0.1 }
storage: { dataDir: ${dir} }
cameras:
  - { id: gate, file: { path: /x }, relay: { pin: 22 } }
gpio: { led: { pin: 17 }, tamper: { pin: 27 }, relay: { checkEvery: 1m, offlineChecks: 2, maxCycles: 1 } }
`, 'c.yaml');
    const ports = { ...realHostPorts(), clock, gpio, scheduler: new ClockScheduler(clock), env: { NOTIFY_SOCKET: '/run/notify', WATCHDOG_USEC: '60000000' } };
    const memory = new MemoryStationLink();
    memory.state = () => ({ connected: true, outboxDepth: 0, dropped: 0 });
    const sent: string[] = [];
    const dataDir = new DataDir({ dir, fs: ports.fs, logger: silentLogger(), pid: process.pid, identify: () => undefined });
    const side = buildHealthModules({
      config, ports, logger: silentLogger(), link: memory, dataDir,
      notifier: { notify: (state) => { sent.push(state); return Promise.resolve(); } },
    });
    expect(side.modules.map((m) => m.name)).toEqual(['health', 'heartbeat', 'patrol', 'status-led', 'camera-relays', 'tamper-switch', 'schedule']);
    const lifecycle = new Lifecycle([dataDir, ...side.modules, side.watchdog], { clock, logger: silentLogger(), stopTimeoutMs: 5000 });
    await lifecycle.start();
    expect(sent).toEqual(['READY=1']);
    expect(memory.ops()).toEqual(['patrol/run']);

    side.link.setCameraStatus({ ts: clock.now().toISOString(), camera: 'gate', state: 'offline', reason: 'timeout', since: clock.now().toISOString() });
    expect(memory.cameraStatus.get('gate')?.state).toBe('offline');
    await clock.advance(2 * 60_000 + 2000);
    expect(memory.heartbeat?.['cameras']).toEqual([{ id: 'gate', state: 'offline', reason: 'timeout' }]);
    expect(gpio.pin(22).writes.map((w) => w.value)).toEqual([0, 1]); // relay cut power after two offline checks
    const ledWrites = gpio.pin(17).writes.filter((w) => w.at >= 120_000).map((w) => w.value);
    expect(ledWrites.slice(0, 3)).toEqual([1, 0, 1]); // two short blinks: a camera fault
    expect(memory.health.map((h) => h.kind)).toContain('camera_power_cycle');

    // The health and heartbeat loops report on their own; a registered loop that goes quiet stops the pings.
    const pings = () => sent.filter((s) => s === 'WATCHDOG=1').length;
    const pingsBefore = pings();
    expect(pingsBefore).toBeGreaterThan(0);
    const camerasProgress = side.progress.loop('cameras');
    await clock.advance(5 * 60_000);
    expect(side.progress.stalled(config.watchdog.maxQuiet)).toContain('cameras');
    const pingsStalled = pings();
    expect(pingsStalled - pingsBefore).toBeLessThanOrEqual(4); // every 30 s, at most within the 2 min of maxQuiet
    await clock.advance(60_000);
    expect(pings()).toBe(pingsStalled);
    camerasProgress(); // exact resumption is the watchdog unit test's; here real disk I/O paces the health loop
    expect(await lifecycle.stop()).toEqual([]);
    expect(sent.at(-1)).toBe('STOPPING=1');
    expect(gpio.pin(22).value).toBe(0);
  });
});
