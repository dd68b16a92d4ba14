import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gridTiles, planRegionCrops, planStillCrops, regionCrops, NO_TILES } from '../../../../agent/edge/detection/crops.js';
import { decodeRows } from '../../../../agent/edge/detection/decode.js';
import { mergeDetections } from '../../../../agent/edge/detection/nms.js';
import type { Detection } from '../../../../agent/edge/types.js';

const LABELS = { '0': { class: 'person', label: 'person' as const }, '1': { class: 'bicycle', label: 'ebike' as const }, '3': { class: 'motorcycle', label: 'ebike' as const } };

describe('crops', () => {
  it('covers the whole image with overlapping tiles and marks only inner edges', () => {
    fc.assert(fc.property(fc.integer({ min: 100, max: 4000 }), fc.integer({ min: 100, max: 4000 }), fc.integer({ min: 2, max: 4 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (w, h, n, overlap) => {
      const tiles = gridTiles(w, h, n, overlap);
      expect(tiles).toHaveLength(n * n);
      for (const t of tiles) {
        expect(t.rect.left).toBeGreaterThanOrEqual(0);
        expect(t.rect.top).toBeGreaterThanOrEqual(0);
        expect(t.rect.left + t.rect.width).toBeLessThanOrEqual(w);
        expect(t.rect.top + t.rect.height).toBeLessThanOrEqual(h);
        expect(t.innerEdges.left).toBe(t.rect.left > 0);
        expect(t.innerEdges.right).toBe(t.rect.left + t.rect.width < w);
      }
      // every corner pixel column/row is inside some tile
      expect(Math.max(...tiles.map((t) => t.rect.left + t.rect.width))).toBe(w);
      expect(Math.max(...tiles.map((t) => t.rect.top + t.rect.height))).toBe(h);
    }));
  });

  it('adds tiles only to images large enough', () => {
    const tiling = { grids: [2], overlap: 0.25, minImageSide: 640 };
    expect(planStillCrops(512, 384, tiling).map((c) => c.kind)).toEqual(['frame']);
    expect(planStillCrops(1920, 1080, tiling).map((c) => c.kind)).toEqual(['frame', 'tile', 'tile', 'tile', 'tile']);
    expect(planStillCrops(1920, 1080, NO_TILES)).toHaveLength(1);
  });

  it('makes a square of at least the model side around a small region, inside the image', () => {
    const [crop] = regionCrops(1920, 1080, [[0.95, 0.9, 0.97, 0.95]], 512);
    expect(crop?.rect).toEqual({ left: 1408, top: 568, width: 512, height: 512 });
    expect(crop?.innerEdges).toEqual({ left: true, top: true, right: false, bottom: false });
    const [big] = regionCrops(640, 480, [[0, 0, 1, 1]], 512);
    expect(big?.rect).toEqual({ left: 0, top: 0, width: 640, height: 480 });
  });

  it('merges overlapping region squares instead of running the model once per motion blob', () => {
    const tiling = { grids: [2], overlap: 0.25, minImageSide: 640 };
    // Three walkers close together on a 1080p frame: one merged crop, not three.
    const close = planRegionCrops(1920, 1080, [[0.40, 0.5, 0.42, 0.6], [0.45, 0.5, 0.47, 0.6], [0.50, 0.55, 0.52, 0.65]], 512, tiling);
    expect(close.map((c) => c.kind)).toEqual(['region']);
    expect(Math.max(close[0]!.rect.width, close[0]!.rect.height)).toBeLessThanOrEqual(768);
    // Two far apart stay two small crops, so distant people keep their pixels.
    const far = planRegionCrops(1920, 1080, [[0.02, 0.1, 0.03, 0.15], [0.95, 0.8, 0.97, 0.9]], 512, tiling);
    expect(far.map((c) => c.rect.width)).toEqual([512, 512]);
    // Motion everywhere on a small frame costs no more than the still plan (full frame + 2x2 tiles).
    const busy = planRegionCrops(768, 576, [[0, 0, 0.1, 0.1], [0.9, 0, 1, 0.1], [0, 0.9, 0.1, 1], [0.9, 0.9, 1, 1], [0.45, 0.45, 0.55, 0.55]], 512, tiling);
    expect(busy.length).toBeLessThanOrEqual(planStillCrops(768, 576, tiling).length);
  });

  it('merges into fewer, more shrunk crops when allowed to shrink more, and keeps the limit within 1..4', () => {
    const tiling = { grids: [2], overlap: 0.25, minImageSide: 640 };
    // People on both sides of a 768x576 plaza (as in vtest), model input 416.
    const regions: [number, number, number, number][] = [[0.05, 0.3, 0.3, 0.7], [0.7, 0.2, 0.95, 0.6]];
    expect(planRegionCrops(768, 576, regions, 416, tiling)).toHaveLength(2);
    const merged = planRegionCrops(768, 576, regions, 416, tiling, 2);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.rect).toMatchObject({ left: 0, width: 768 });
    expect(planRegionCrops(768, 576, regions, 416, tiling, 0.2)).toEqual(planRegionCrops(768, 576, regions, 416, tiling, 1));
    expect(planRegionCrops(768, 576, regions, 416, tiling, Number.NaN)).toEqual(planRegionCrops(768, 576, regions, 416, tiling));
  });
});

describe('decoding the model rows', () => {
  const frame = { rect: { left: 0, top: 0, width: 1024, height: 512 }, innerEdges: { left: false, top: false, right: false, bottom: false }, kind: 'frame' as const };

  it('maps input pixels back to normalised image boxes and keeps only alert classes', () => {
    const rows = [
      100, 50, 200, 250, 0.9, 0, // person
      10, 10, 20, 20, 0.8, 2, // car: no alert label
      300, 100, 400, 200, 0.5, 3, // motorcycle
      0, 0, 10, 10, 0.1, 0, // below the floor
    ];
    const out = decodeRows(rows, frame, { scaleX: 0.5, scaleY: 0.5 }, { width: 1024, height: 512 }, LABELS, { minScore: 0.2, edgeTolerance: 0.01 });
    expect(out).toEqual([
      { label: 'person', class: 'person', score: 0.9, box: [200 / 1024, 100 / 512, 400 / 1024, 500 / 512] },
      { label: 'ebike', class: 'motorcycle', score: 0.5, box: [600 / 1024, 200 / 512, 800 / 1024, 400 / 512] },
    ]);
  });

  it('drops boxes cut by a tile edge inside the picture, keeps those at the picture edge', () => {
    const tile = { rect: { left: 512, top: 0, width: 512, height: 512 }, innerEdges: { left: true, top: false, right: false, bottom: true }, kind: 'tile' as const };
    const rows = [0, 100, 50, 200, 0.9, 0, 200, 0, 300, 100, 0.9, 0, 400, 480, 500, 512, 0.9, 0];
    const out = decodeRows(rows, tile, { scaleX: 1, scaleY: 1 }, { width: 1024, height: 1024 }, LABELS, { minScore: 0.2, edgeTolerance: 0.01 });
    expect(out.map((d) => d.box[0] * 1024)).toEqual([712]);
  });
});

describe('merging duplicates across crops', () => {
  const det = (label: Detection['label'], score: number, box: Detection['box'], cls = label === 'person' ? 'person' : 'bicycle'): Detection => ({ label, class: cls, score, box });

  it('keeps the best box of each overlapping cluster per label', () => {
    const merged = mergeDetections([
      det('person', 0.6, [0.1, 0.1, 0.3, 0.5]),
      det('person', 0.8, [0.11, 0.1, 0.31, 0.52]),
      det('person', 0.7, [0.6, 0.1, 0.8, 0.5]),
      det('ebike', 0.5, [0.1, 0.1, 0.3, 0.5]),
    ]);
    expect(merged.map((d) => [d.label, d.score])).toEqual([['person', 0.8], ['person', 0.7], ['ebike', 0.5]]);
  });

  it('treats a bicycle and a motorcycle box on one two-wheeler as one e-bike, and a half box inside a whole one as the same object', () => {
    expect(mergeDetections([det('ebike', 0.5, [0.2, 0.2, 0.6, 0.6], 'motorcycle'), det('ebike', 0.4, [0.21, 0.2, 0.6, 0.61], 'bicycle')])).toHaveLength(1);
    expect(mergeDetections([det('person', 0.9, [0.2, 0.2, 0.3, 0.6]), det('person', 0.5, [0.2, 0.2, 0.3, 0.35])])).toHaveLength(1);
  });
});
