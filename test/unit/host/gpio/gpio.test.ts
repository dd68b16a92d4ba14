import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { CameraRelays } from '../../../../agent/host/gpio/camera-relays.js';
import { LED_PATTERNS, ledStateFor, type LedState } from '../../../../agent/host/gpio/led-patterns.js';
import { StatusLed } from '../../../../agent/host/gpio/status-led.js';
import { TamperSwitch } from '../../../../agent/host/gpio/tamper-switch.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import { FakeClock } from '../../../fakes/clock.js';
import { FakeGpio } from '../../../fakes/gpio.js';
import { readGpioChips, sysfsNumber } from '../../../../agent/ports/real/gpio-chip.js';
import { onoffGpio } from '../../../../agent/ports/real/gpio-onoff.js';
import type { CameraStatusPayload } from '../../../../agent/link/contract/v1.js';
import { tempDir } from '../../../helpers/tmp.js';

function rig() {
  const clock = new FakeClock();
  const gpio = new FakeGpio(() => clock.monotonicMs());
  const link = new MemoryStationLink();
  const health = new AlertBoard({ link, clock, logger: silentLogger() });
  return { clock, gpio, link, health };
}

/** The LED's level during each 100 ms slice of one 2 s pattern, as a string of 0/1. */
function traceOf(writes: { value: 0 | 1; at: number }[], from: number): string {
  let level = [...writes].reverse().find((w) => w.at <= from)?.value ?? 0;
  let trace = '';
  for (let t = from; t < from + 2000; t += 100) {
    for (const w of writes) if (w.at === t) level = w.value;
    trace += String(level);
  }
  return trace;
}

describe('status LED', () => {
  it('picks the most urgent state', () => {
    expect(ledStateFor({ diskFault: true, brokerConnected: false, cameraFault: true })).toBe('disk');
    expect(ledStateFor({ diskFault: false, brokerConnected: false, cameraFault: true })).toBe('broker');
    expect(ledStateFor({ diskFault: false, brokerConnected: true, cameraFault: true })).toBe('camera');
    expect(ledStateFor({ diskFault: false, brokerConnected: true, cameraFault: false })).toBe('ok');
  });

  it('blinks a distinct pattern per state and follows state changes at the next cycle', async () => {
    const { clock, gpio } = rig();
    let state: LedState = 'ok';
    const led = new StatusLed({ gpio, clock, logger: silentLogger(), config: { pin: 17, activeLow: false }, state: () => state });
    await led.start();
    const expected: Record<LedState, string> = {
      ok: '11111111111111111111',
      broker: '11111111110000000000',
      camera: '11001100000000000000',
      disk: '10101010101010101010',
    };
    for (const next of ['broker', 'camera', 'disk', 'ok'] as const) {
      state = next;
      await clock.advance(2000); // the cycle in progress finishes; the one starting now shows `next`
      const start = clock.monotonicMs();
      await clock.advance(2000);
      expect(traceOf(gpio.pin(17).writes, start)).toBe(expected[next]);
    }
    expect(new Set(Object.values(LED_PATTERNS).map((p) => p.reduce((sum, [, ms]) => sum + ms, 0)))).toEqual(new Set([2000]));
    await led.stop();
    expect(gpio.pin(17).value).toBe(0);
    expect(gpio.pin(17).released).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('inverts the output for an active-low LED', async () => {
    const { clock, gpio } = rig();
    const led = new StatusLed({ gpio, clock, logger: silentLogger(), config: { pin: 17, activeLow: true }, state: () => 'ok' });
    await led.start();
    expect(gpio.pin(17).value).toBe(0);
    await led.stop();
    expect(gpio.pin(17).value).toBe(1);
  });

  it('runs without GPIO and says why', async () => {
    const clock = new FakeClock();
    const gpio = new FakeGpio(() => 0, '/sys/class/gpio does not exist');
    const led = new StatusLed({ gpio, clock, logger: silentLogger(), config: { pin: 17, activeLow: false }, state: () => 'ok' });
    await led.start();
    expect(gpio.opened()).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
    await led.stop();
  });
});

describe('camera power relays', () => {
  const policy = { checkEvery: 60_000, offlineChecks: 3, offFor: 10_000, maxCycles: 2 };
  const status = (state: CameraStatusPayload['state']): CameraStatusPayload => ({
    ts: '2026-01-01T00:00:00Z', camera: 'gate', state, reason: state === 'offline' ? 'timeout' : null, since: '2026-01-01T00:00:00Z',
  });

  it('power-cycles after N offline checks, at most maxCycles times, then gives up and reports', async () => {
    const { clock, gpio, link, health } = rig();
    const relays = new CameraRelays({ gpio, clock, logger: silentLogger(), health, policy, relays: [{ camera: 'gate', pin: 22, powerOffValue: 1 }] });
    await relays.start();
    const pin = gpio.pin(22);
    expect(pin.writes).toEqual([{ value: 0, at: 0 }]);
    relays.onCameraStatus(status('offline'));
    await clock.advance(2 * 60_000);
    expect(pin.writes).toHaveLength(1); // two offline checks: not yet
    await clock.advance(60_000);
    expect(pin.writes.slice(1)).toEqual([{ value: 1, at: 180_000 }]);
    await clock.advance(10_000);
    expect(pin.writes.slice(1)).toEqual([{ value: 1, at: 180_000 }, { value: 0, at: 190_000 }]);
    expect(link.health.map((h) => `${h.kind}:${h.state}`)).toEqual(['camera_power_cycle:raised']);

    await clock.advance(3 * 60_000); // still offline: the second and last cycle
    expect(pin.writes.filter((w) => w.value === 1).map((w) => w.at)).toEqual([180_000, 360_000]);
    await clock.advance(10 * 60_000); // still offline: no third cycle, one give-up report
    expect(pin.writes.filter((w) => w.value === 1)).toHaveLength(2);
    expect(link.health.map((h) => `${h.kind}:${h.state}`)).toEqual(['camera_power_cycle:raised', 'camera_power_cycle_failed:raised']);
    expect(link.health[1]).toMatchObject({ subject: 'gate', severity: 'critical' });

    relays.onCameraStatus(status('online'));
    expect(link.health.map((h) => `${h.kind}:${h.state}`).slice(2)).toEqual(['camera_power_cycle:cleared', 'camera_power_cycle_failed:cleared']);
    await relays.stop();
    expect(pin.value).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a camera that recovers resets the count, and stopping mid-cycle restores power', async () => {
    const { clock, gpio, health } = rig();
    const relays = new CameraRelays({ gpio, clock, logger: silentLogger(), health, policy, relays: [{ camera: 'gate', pin: 22, powerOffValue: 0 }] });
    await relays.start();
    const pin = gpio.pin(22);
    relays.onCameraStatus(status('offline'));
    await clock.advance(2 * 60_000);
    relays.onCameraStatus(status('degraded'));
    relays.onCameraStatus(status('offline'));
    await clock.advance(2 * 60_000);
    expect(pin.writes.map((w) => w.value)).toEqual([1]);
    await clock.advance(60_000);
    expect(pin.value).toBe(0); // power cut (powerOffValue 0)
    await relays.stop();
    expect(pin.value).toBe(1);
    expect(pin.released).toBe(true);
  });
});

describe('tamper switch', () => {
  it('debounces: a bounce shorter than the debounce time is ignored; a held level raises and clears', async () => {
    const { clock, gpio, link, health } = rig();
    const tamper = new TamperSwitch({ gpio, clock, logger: silentLogger(), health, config: { pin: 27, openWhen: 'high', debounce: 200 } });
    await tamper.start();
    const pin = gpio.pin(27);
    for (let i = 0; i < 5; i++) {
      pin.set(1);
      await clock.advance(50);
      pin.set(0);
      await clock.advance(50);
    }
    await clock.advance(1000);
    expect(link.health).toEqual([]);
    pin.set(1);
    await clock.advance(150);
    pin.set(0);
    pin.set(1);
    await clock.advance(199);
    expect(link.health).toEqual([]);
    await clock.advance(1);
    expect(link.health).toMatchObject([{ kind: 'tamper', state: 'raised', subject: 'enclosure', severity: 'critical' }]);
    expect(tamper.isOpen()).toBe(true);
    pin.set(0);
    await clock.advance(200);
    expect(link.health.map((h) => h.state)).toEqual(['raised', 'cleared']);
    await tamper.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('raises at start when the enclosure is already open (active-low switch)', async () => {
    const { clock, gpio, link, health } = rig();
    const tamper = new TamperSwitch({ gpio, clock, logger: silentLogger(), health, config: { pin: 27, openWhen: 'low', debounce: 200 } });
    await tamper.start();
    expect(link.health).toMatchObject([{ kind: 'tamper', state: 'raised' }]);
    await tamper.stop();
  });
});

async function sysfsFixture(chips: { n: number; base: number; ngpio: number; label: string }[]): Promise<string> {
  const root = await tempDir();
  await writeFile(join(root, 'export'), '');
  for (const chip of chips) {
    const dir = join(root, `gpiochip${chip.n}`);
    await mkdir(dir);
    await writeFile(join(dir, 'base'), `${chip.base}\n`);
    await writeFile(join(dir, 'ngpio'), `${chip.ngpio}\n`);
    await writeFile(join(dir, 'label'), `${chip.label}\n`);
  }
  return root;
}

describe('BCM to sysfs numbering', () => {
  it('uses base 0 on an old kernel (Pi 4, 5.15)', async () => {
    const root = await sysfsFixture([
      { n: 0, base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
      { n: 504, base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    ]);
    const chips = readGpioChips(root);
    expect(sysfsNumber(17, chips)).toBe(17);
    expect(sysfsNumber(27, chips)).toBe(27);
  });

  it('adds base 512 on a kernel ≥ 6.6 (Pi 4, 6.6), whatever order the chips are listed in', async () => {
    const root = await sysfsFixture([
      { n: 570, base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
      { n: 512, base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    ]);
    const chips = readGpioChips(root);
    expect(sysfsNumber(17, chips)).toBe(529);
    expect(sysfsNumber(2, chips)).toBe(514);
  });

  it('finds the RP1 header chip of a Pi 5 and refuses an unknown board', async () => {
    const pi5 = readGpioChips(await sysfsFixture([
      { n: 512, base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
      { n: 544, base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
      { n: 571, base: 571, ngpio: 54, label: 'pinctrl-rp1' },
    ]));
    expect(sysfsNumber(17, pi5)).toBe(588);
    const other = readGpioChips(await sysfsFixture([
      { n: 0, base: 0, ngpio: 32, label: 'gpio-mockup-A' },
      { n: 32, base: 32, ngpio: 32, label: 'gpio-mockup-B' },
    ]));
    expect(sysfsNumber(17, other)).toMatch(/no Raspberry Pi header GPIO chip found \(chips: gpiochip0 "gpio-mockup-A" base 0/);
  });

  it('opens pins through onoff at the mapped number', async () => {
    const root = await sysfsFixture([{ n: 512, base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }]);
    const opened: unknown[][] = [];
    class FakeOnoff {
      static accessible = true;
      constructor(...args: unknown[]) { opened.push(args); }
      write() { return Promise.resolve(); }
      unexport() { /* nothing exported */ }
    }
    const gpio = onoffGpio(root, () => ({ Gpio: FakeOnoff as never }));
    expect(gpio.unavailableReason()).toBeUndefined();
    gpio.open(17, 'out');
    gpio.open(27, 'in', 'both');
    expect(opened).toEqual([[529, 'out', undefined], [539, 'in', 'both']]);
  });

  it('explains why GPIO is unavailable on a host without it, and opens nothing', async () => {
    const gpio = onoffGpio(join(await tempDir(), 'no-gpio'));
    expect(gpio.unavailableReason()).toMatch(/does not exist \(not a Raspberry Pi, or the kernel has no sysfs GPIO\)/);
    expect(() => gpio.open(17, 'out')).toThrow(/GPIO 17 cannot be opened/);
    const broken = onoffGpio(await sysfsFixture([]), () => { throw new Error('Could not locate the bindings file'); });
    expect(broken.unavailableReason()).toMatch(/the onoff library cannot load \(Could not locate the bindings file\)/);
  });
});
