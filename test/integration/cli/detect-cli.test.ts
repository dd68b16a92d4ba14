import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { footage } from '../../helpers/footage.js';
import { tempDir } from '../../helpers/tmp.js';

interface DetectLine {
  file: string;
  width: number;
  height: number;
  ms: number;
  detections: { label: string; class: string; score: number; box: number[] }[];
}

// No config anywhere: the defaults must do.
const NO_CONFIG = { MINWANG_CONFIG: '' };

describe('minwang detect', () => {
  it('prints one JSON line per image in the spec\'s format, names an unreadable file and exits 1', async () => {
    const bike = footage('skimage/motorcycle_left.png');
    const empty = footage('skimage/rocket.jpg');
    const result = await runCli(['detect', '--json', bike, '/nonexistent/gate.jpg', empty], NO_CONFIG);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/nonexistent/gate.jpg: cannot read: ENOENT');
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as DetectLine);
    expect(lines.map((l) => l.file)).toEqual([bike, empty]);
    const [first, second] = lines;
    expect(Object.keys(first ?? {})).toEqual(['file', 'width', 'height', 'ms', 'detections']);
    expect(first).toMatchObject({ width: 741, height: 500 });
    expect(first?.ms).toBeGreaterThan(0);
    // The motorcycle first and strongest; the bicycle parked at the left edge may be listed too.
    expect(first?.detections[0]).toMatchObject({ label: 'ebike', class: 'motorcycle' });
    expect(first?.detections[0]?.score).toBeGreaterThan(0.5);
    expect(new Set(first?.detections.map((d) => d.label))).toEqual(new Set(['ebike']));
    for (const d of first?.detections ?? []) {
      expect(Object.keys(d)).toEqual(['label', 'class', 'score', 'box']);
      expect(d.box).toHaveLength(4);
      for (const v of d.box) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of d.box) expect(v).toBeLessThanOrEqual(1);
    }
    expect(second?.detections).toEqual([]);
  }, 120_000);

  it('applies a camera\'s zones and thresholds and burns its privacy masks into --annotate output', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.yaml');
    // The motorcycle stands on the lower half; a zone on the upper half leaves nothing to alert.
    await writeFile(config, [
      'host: {id: test-host}',
      'mqtt: {url: "mqtt://127.0.0.1:1883"}',
      'cameras:',
      '  - id: garage',
      '    file: {path: /dev/null}',
      '    privacyMasks: [[[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]]]',
      '    detect:',
      '      zones: [[[0, 0], [1, 0], [1, 0.3], [0, 0.3]]]',
      '  - id: yard',
      '    file: {path: /dev/null}',
      '    privacyMasks: [[[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]]]',
      '',
    ].join('\n'));
    const bike = footage('skimage/motorcycle_left.png');
    const out = join(dir, 'annotated');
    const zoned = await runCli(['detect', '--json', '--config', config, '--camera', 'garage', bike]);
    expect(zoned.code).toBe(0);
    expect((JSON.parse(zoned.stdout) as DetectLine).detections).toEqual([]);
    const yard = await runCli(['detect', '--config', config, '--camera', 'yard', '--annotate', out, bike]);
    expect(yard.code).toBe(0);
    expect(yard.stdout).toMatch(/motorcycle_left\.png: 741x500, \d+ ms, \d found\n {2}ebike {2}motorcycle 0\.\d\d {2}\[0\.\d{3}, /);
    expect(await readdir(out)).toEqual(['motorcycle_left.jpg']);
    const annotated = sharp(join(out, 'motorcycle_left.jpg'));
    expect(await annotated.metadata()).toMatchObject({ format: 'jpeg', width: 741, height: 500 });
    const { data } = await annotated.clone().extract({ left: 10, top: 10, width: 60, height: 60 }).raw().toBuffer({ resolveWithObject: true });
    expect(Math.max(...data)).toBeLessThan(24); // the masked corner is black
  }, 120_000);

  it('exits 2 with usage when no image is given, or the camera is unknown', async () => {
    const none = await runCli(['detect', '--json'], NO_CONFIG);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give at least one image file/);
    const dir = await tempDir();
    const config = join(dir, 'c.yaml');
    await writeFile(config, 'host: {id: h}\nmqtt: {url: "mqtt://127.0.0.1"}\n');
    const unknown = await runCli(['detect', '--config', config, '--camera', 'gate', 'x.jpg']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--camera gate: no such camera/);
  });
});
