import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../agent/config/load.js';

const BASE = `host: { id: h }
mqtt: { url: mqtt://127.0.0.1 }
cameras:
  - id: gate
    snapshot: { url: http://10.0.0.2/pic }
`;

function problems(extra: string): string {
  try {
    parseConfigText(BASE + extra, 'c.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('camera pipeline config', () => {
  it('fills every camera pipeline default', () => {
    const config = parseConfigText(BASE, 'c.yaml');
    const camera = config.cameras[0];
    expect(camera).toMatchObject({ timeout: 3000, detect: { enabled: true } });
    expect(camera?.arm).toBeUndefined();
    expect(camera?.motion).toEqual({ width: 160, threshold: 25, minArea: 0.002, backgroundRate: 0.05, lightingChange: 0.5, scanEvery: 300_000 });
    expect(camera?.faults).toMatchObject({ offlineAfter: 3, debounce: 5000, window: 20_000, frozenAfter: 30_000 });
    expect(camera?.events).toMatchObject({ minHits: 2, endAfter: 5000, cooldown: 30_000, minMove: 0.4, stillScore: { person: 0.6, ebike: 0.5 }, floodPerMinute: 120 });
    expect(config.events).toEqual({ maxPerMinute: 30 });
  });

  it('names bad values with their path', () => {
    expect(problems('    motion: { threshold: 0 }\n')).toMatch(/cameras\[0\]\.motion\.threshold: .*>=1/);
    expect(problems('    faults: { frozenAfter: 10ms }\n')).toMatch(/cameras\[0\]\.faults\.frozenAfter: "10ms" is out of range \(1s to 1h\)/);
    expect(problems('    arm: [{ labels: [ebike], when: "0 25 * * *" }]\n')).toMatch(/cameras\[0\]\.arm\[0\]\.when: must be a valid 5-field cron expression/);
    expect(problems('    arm: [{ labels: [ebike], when: "0 0 20 * * *" }]\n')).toMatch(/arm\[0\]\.when: must be a valid 5-field/);
    expect(problems('    events: { colour: red }\n')).toMatch(/cameras\[0\]\.events\.colour: unknown key/);
    expect(problems('    events: { stillScore: { person: 1.5 } }\n')).toMatch(/cameras\[0\]\.events\.stillScore\.person: .*<=1/);
    expect(problems('    events: { stillScore: { car: 0.5 } }\n')).toMatch(/cameras\[0\]\.events\.stillScore\.car: unknown key/);
    expect(problems('    events: { floodPerMinute: 0 }\n')).toMatch(/cameras\[0\]\.events\.floodPerMinute: .*>=1/);
  });
});
