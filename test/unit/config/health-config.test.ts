import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseByteSize as parseBytes } from '../../../agent/config/size.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { configProblems } from '../../helpers/config.js';

const BASE = 'host: { id: h }\nmqtt: { url: mqtt://127.0.0.1 }\n';

const problems = (text: string): string => configProblems(text, 'c.yaml');

describe('health, GPIO, patrol, retention and watchdog config', () => {
  it('fills defaults when the sections are left out', () => {
    const config = parseConfigText(BASE, 'c.yaml');
    expect(config.heartbeat.interval).toBe(30_000);
    expect(config.health).toMatchObject({ probeInterval: 60_000, disks: [], hysteresisPercent: 2, overheatC: 80 });
    expect(config.gpio).toEqual({ relay: { checkEvery: 60_000, offlineChecks: 5, offFor: 10_000, maxCycles: 3 } });
    expect(config.patrol).toEqual({ enabled: true, at: '0 8 * * *', tileWidth: 320 });
    expect(config.retention).toMatchObject({ budget: 2e9, maxAge: 30 * 86_400_000 });
    expect(config.watchdog.maxQuiet).toBe(120_000);
  });

  it('reads the documented examples of the optional blocks', async () => {
    const text = await readFile(new URL('../../../config/minwang.example.yaml', import.meta.url), 'utf8');
    for (const key of ['disks', 'minFreeBytes', 'writeProbe', 'recorder', 'stalledAfter', 'led', 'activeLow', 'tamper', 'openWhen', 'relay', 'powerOffValue']) {
      expect(text).toMatch(new RegExp(`^[\\s#]*${key}:`, 'm'));
    }
    const optional = `${BASE}health:
  disks: [{ path: /var/lib/minwang, minFreeBytes: 500MB }]
  recorder: { path: /srv/recorder }
gpio: { led: { pin: 17 }, tamper: { pin: 27 } }
cameras: [{ id: gate, file: { path: /x }, relay: { pin: 22 } }]
`;
    const config = parseConfigText(optional, 'c.yaml');
    expect(config.health.disks[0]).toEqual({ path: '/var/lib/minwang', minFreePercent: 10, minFreeBytes: 500e6, minFreeInodesPercent: 5, writeProbe: true });
    expect(config.health.recorder).toEqual({ path: '/srv/recorder', stalledAfter: 600_000 });
    expect(config.gpio.led).toEqual({ pin: 17, activeLow: false });
    expect(config.gpio.tamper).toEqual({ pin: 27, openWhen: 'high', debounce: 200 });
    expect(config.cameras[0]?.relay).toEqual({ pin: 22, powerOffValue: 1 });
  });

  it('names bad values with their key path', () => {
    expect(problems(`${BASE}patrol: { at: "at eight" }\n`)).toMatch(/c\.yaml: patrol\.at: must be a cron expression/);
    expect(problems(`${BASE}gpio: { led: { pin: 40 } }\n`)).toMatch(/c\.yaml: gpio\.led\.pin: .*27/);
    expect(problems(`${BASE}retention: { budget: 2000 }\n`)).toMatch(/retention\.budget: 2000 is not a size \(examples: 64KiB, 256MiB, 2GB\)/);
    expect(problems(`${BASE}health: { disks: [{ path: /d, minFreePercent: 100 }] }\n`)).toMatch(/health\.disks\[0\]\.minFreePercent/);
    expect(problems(`${BASE}retention: { dirs: [../etc] }\n`)).toMatch(/retention\.dirs\[0\]: must be a plain directory name/);
    expect(problems(`${BASE}heartbeat: { interval: 1s }\n`)).toMatch(/heartbeat\.interval: "1s" is out of range \(5s to 1h\)/);
  });

  it('parses byte sizes in SI and binary units', () => {
    expect(parseBytes('512MB')).toBe(512e6);
    expect(parseBytes('1GiB')).toBe(2 ** 30);
    expect(parseBytes('1.5 kB')).toBe(1500);
    expect(parseBytes('12')).toBeUndefined();
    expect(parseBytes('3 apples')).toBeUndefined();
  });
});
