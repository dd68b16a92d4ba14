import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { cameraDetectSchema, DEFAULT_LABEL_RULES, detectorSchema } from '../../../../agent/config/sections/detector.js';
import { cameraFilter, filterDetections, insidePolygon, zonesAt } from '../../../../agent/edge/detection/filters.js';
import type { Detection } from '../../../../agent/edge/types.js';

const person = (score: number, box: Detection['box']): Detection => ({ label: 'person', class: 'person', score, box });
const ebike = (score: number, box: Detection['box']): Detection => ({ label: 'ebike', class: 'motorcycle', score, box });

const BASE = `host: {id: h}\nmqtt: {url: "mqtt://127.0.0.1"}\n`;

describe('per-camera detection filters', () => {
  it('applies per-label score and size thresholds, camera overrides winning', () => {
    const detector = detectorSchema.parse({ labels: { person: { minScore: 0.5 }, ebike: { minArea: 0.01 } } });
    const filter = cameraFilter(detector, { labels: { person: { maxArea: 0.5 } } });
    expect(filter.labels.person).toEqual({ minScore: 0.5, minArea: 0, maxArea: 0.5 });
    const kept = filterDetections([
      person(0.6, [0.1, 0.1, 0.2, 0.4]),
      person(0.4, [0.1, 0.1, 0.2, 0.4]), // score too low
      person(0.9, [0, 0, 0.9, 0.9]), // bigger than half the frame
      ebike(0.9, [0.5, 0.5, 0.55, 0.55]), // 0.25% of the frame: too small
      ebike(0.9, [0.5, 0.5, 0.7, 0.7]),
    ], filter);
    expect(kept.map((d) => [d.label, d.score, d.box[2]])).toEqual([['person', 0.6, 0.2], ['ebike', 0.9, 0.7]]);
  });

  it('alerts only where the object stands inside a zone, and never inside a mask', () => {
    const detector = detectorSchema.parse(undefined);
    const lane: [number, number][] = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]];
    const tree: [number, number][] = [[0.8, 0], [1, 0], [1, 1], [0.8, 1]];
    const filter = cameraFilter(detector, { zones: [{ name: 'lane', polygon: lane }], masks: [tree] });
    const kept = filterDetections([
      person(0.9, [0.1, 0.1, 0.2, 0.4]), // feet above the lane
      person(0.9, [0.1, 0.3, 0.2, 0.7]), // feet in the lane
      person(0.9, [0.85, 0.3, 0.95, 0.7]), // feet in the lane but on the masked tree
    ], filter);
    expect(kept.map((d) => d.box[0])).toEqual([0.1]);
    expect(kept[0]?.box[3]).toBe(0.7);
  });

  it('names the zones an object stands in, from the named and the older unnamed config forms', () => {
    const camera = cameraDetectSchema.parse({
      zones: [
        { name: 'gate', polygon: [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]] },
        [[0.4, 0.5], [1, 0.5], [1, 1], [0.4, 1]],
      ],
    });
    expect(camera.zones.map((z) => z.name)).toEqual(['gate', 'zone-2']);
    const filter = cameraFilter(detectorSchema.parse(undefined), camera);
    expect(zonesAt([0.1, 0.2, 0.2, 0.8], filter)).toEqual(['gate']);
    expect(zonesAt([0.4, 0.2, 0.5, 0.8], filter)).toEqual(['gate', 'zone-2']); // foot at x 0.45: in both
    expect(zonesAt([0.7, 0.2, 0.8, 0.8], filter)).toEqual(['zone-2']);
    expect(zonesAt([0.1, 0.1, 0.2, 0.3], filter)).toEqual([]);
  });

  it('refuses two zones with one name, and names that cannot be reported', () => {
    const square = [[0, 0], [1, 0], [1, 1]];
    expect(cameraDetectSchema.safeParse({ zones: [{ name: 'a', polygon: square }, { name: 'a', polygon: square }] }).error?.issues[0]?.message).toMatch(/used twice/);
    expect(cameraDetectSchema.safeParse({ zones: [{ name: 'a/b', polygon: square }] }).success).toBe(false);
  });

  it('keeps everything above the defaults with no zones or masks', () => {
    const filter = cameraFilter(detectorSchema.parse(undefined));
    const threshold = DEFAULT_LABEL_RULES.person.minScore;
    expect(filterDetections([person(threshold + 0.01, [0, 0, 1, 1]), person(threshold - 0.01, [0, 0, 0.1, 0.1])], filter)).toHaveLength(1);
  });

  it('tests points against concave polygons', () => {
    const l: [number, number][] = [[0, 0], [0.5, 0], [0.5, 0.5], [1, 0.5], [1, 1], [0, 1]];
    expect(insidePolygon([0.25, 0.25], l)).toBe(true);
    expect(insidePolygon([0.75, 0.25], l)).toBe(false);
    expect(insidePolygon([0.75, 0.75], l)).toBe(true);
  });
});

describe('detector and camera detect config', () => {
  it('fills defaults when the section is absent', () => {
    const config = parseConfigText(`${BASE}cameras:\n  - {id: gate, file: {path: /x}}\n`, 'c.yaml');
    expect(config.detector).toMatchObject({ model: 'nanodet', backend: 'auto', queue: 8, tiling: { grids: [2], overlap: 0.25 } });
    expect(config.detector.workers).toBeUndefined();
    expect(config.cameras[0]?.detect).toEqual({ enabled: true, zones: [], masks: [], labels: {} });
  });

  it('reads zones, masks and overrides, and names bad values by path', () => {
    const text = `${BASE}detector:\n  backend: wasm\n  workers: 2\n  labels:\n    person: {minScore: 0.6}\ncameras:\n  - id: gate\n    file: {path: /x}\n    detect:\n      zones: [[[0, 0], [1, 0], [1, 1]]]\n      labels:\n        ebike: {minArea: 0.001}\n`;
    const config = parseConfigText(text, 'c.yaml');
    expect(config.detector.backend).toBe('wasm');
    expect(config.cameras[0]?.detect.zones).toHaveLength(1);
    expect(() => parseConfigText(text.replace('backend: wasm', 'backend: gpu'), 'c.yaml')).toThrow(/detector\.backend: .*"auto"/);
    expect(() => parseConfigText(text.replace('minScore: 0.6', 'minScore: 6'), 'c.yaml')).toThrow(/detector\.labels\.person\.minScore/);
    expect(() => parseConfigText(text.replace('[[[0, 0], [1, 0], [1, 1]]]', '[[[0, 0], [1, 0]]]'), 'c.yaml')).toThrow(/cameras\[0\]\.detect\.zones\[0\]: a polygon needs at least 3 points/);
    expect(() => parseConfigText(text.replace('detect:\n', 'detect:\n      colour: red\n'), 'c.yaml')).toThrow(/cameras\[0\]\.detect\.colour: unknown key/);
  });
});
