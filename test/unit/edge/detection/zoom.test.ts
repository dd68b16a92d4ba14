import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LABEL_RULES, detectorSchema } from '../../../../agent/config/sections/detector.js';
import { applyZoom, rescore, zoomCandidates, zoomCrop, type ZoomOptions } from '../../../../agent/edge/detection/zoom.js';
import { workerSetup } from '../../../../agent/edge/detection/from-config.js';
import type { Box, Detection } from '../../../../agent/edge/types.js';

const person = (score: number, box: Box = [0.4, 0.4, 0.45, 0.5]): Detection => ({ label: 'person', class: 'person', score, box });
const options: ZoomOptions = { labels: ['person'], from: 0.25, upTo: 0.7, maxPerPicture: 2 };

describe('the closer look: which boxes', () => {
  it('reaches the workers: their score floor goes down to zoom.from, so boxes between it and the thresholds are looked at', () => {
    const lowest = Math.min(DEFAULT_LABEL_RULES.person.minScore, DEFAULT_LABEL_RULES.ebike.minScore);
    expect(workerSetup(detectorSchema.parse({})).minScore).toBe(Math.min(lowest, detectorSchema.parse({}).zoom.from));
    expect(workerSetup(detectorSchema.parse({ zoom: { from: 0.2 } })).minScore).toBe(0.2);
    // Off, it no longer lowers the floor: the lowest threshold does.
    expect(workerSetup(detectorSchema.parse({ zoom: { from: 0.2, maxPerPicture: 0 } })).minScore).toBe(lowest);
    expect(workerSetup(detectorSchema.parse({ zoom: { from: 0.2, labels: [] } })).minScore).toBe(lowest);
  });

  it('takes the unsure boxes only, best first, at most maxPerPicture', () => {
    const found = [person(0.2), person(0.3), person(0.8), person(0.6), person(0.5)];
    expect(zoomCandidates(found, options).map((d) => d.score)).toEqual([0.6, 0.5]);
    expect(zoomCandidates(found, { ...options, maxPerPicture: 0 })).toEqual([]);
    expect(zoomCandidates([{ ...person(0.5), label: 'ebike', class: 'bicycle' }], options)).toEqual([]);
  });
});

describe('the closer look: where', () => {
  it('cuts a square 2.5 times the box around its centre, at the picture\'s own pixels', () => {
    // A 40 px tall person in a 1920x1080 picture: a 100 px square around it.
    const crop = zoomCrop([0.5, 0.5, 0.51, 0.537], 1920, 1080);
    expect(crop.rect.width).toBe(100);
    expect(crop.rect.height).toBe(100);
    expect(crop.rect.left + 50).toBeCloseTo(0.505 * 1920, 0);
    expect(crop.kind).toBe('region');
    expect(crop.innerEdges).toEqual({ left: true, top: true, right: true, bottom: true });
  });

  it('is at least 96 px, and shifts (not shrinks) to stay inside the picture', () => {
    const crop = zoomCrop([0, 0, 0.005, 0.01], 1920, 1080);
    expect(crop.rect).toEqual({ left: 0, top: 0, width: 96, height: 96 });
    expect(crop.innerEdges.left).toBe(false);
    expect(crop.innerEdges.right).toBe(true);
  });

  it('stays inside any picture, whatever the box', () => {
    fc.assert(fc.property(
      fc.integer({ min: 16, max: 4000 }), fc.integer({ min: 16, max: 4000 }),
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
      (width, height, [a, b, c, d]) => {
        const { rect } = zoomCrop([Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)], width, height);
        expect(rect.left).toBeGreaterThanOrEqual(0);
        expect(rect.top).toBeGreaterThanOrEqual(0);
        expect(rect.width).toBeGreaterThan(0);
        expect(rect.height).toBeGreaterThan(0);
        expect(rect.left + rect.width).toBeLessThanOrEqual(width);
        expect(rect.top + rect.height).toBeLessThanOrEqual(height);
      },
    ));
  });
});

describe('the closer look: the new score', () => {
  it('is the mean of both looks: up when the closer one is surer, down when it finds nothing there', () => {
    const candidate = person(0.4);
    expect(rescore(candidate, [person(0.8, [0.401, 0.402, 0.449, 0.5])])).toBeCloseTo(0.6);
    expect(rescore(candidate, [person(0.3, [0.401, 0.402, 0.449, 0.5])])).toBeCloseTo(0.35);
    expect(rescore(candidate, [])).toBeCloseTo(0.2);
    // Another label, or another place, is not the same object.
    expect(rescore(candidate, [{ ...person(0.9), label: 'ebike', class: 'bicycle' }, person(0.9, [0.1, 0.1, 0.15, 0.2])])).toBeCloseTo(0.2);
  });

  it('changes only the boxes looked at, and keeps the list best first', () => {
    const sure = person(0.9, [0.1, 0.1, 0.2, 0.3]);
    const unsure = person(0.4);
    const other = person(0.5, [0.6, 0.6, 0.7, 0.8]);
    const out = applyZoom([sure, other, unsure], [unsure, other], [0.95, 0.3]);
    expect(out.map((d) => d.score)).toEqual([0.95, 0.9, 0.3]);
    expect(out[0]?.box).toEqual(unsure.box);
  });
});

describe('detector.zoom config', () => {
  it('defaults on, and refuses a band that is empty', () => {
    expect(detectorSchema.parse({}).zoom).toEqual({ labels: ['person'], from: 0.3, upTo: 0.7, maxPerPicture: 8 });
    const bad = detectorSchema.safeParse({ zoom: { from: 0.7, upTo: 0.5 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/from must be below upTo/);
  });
});
