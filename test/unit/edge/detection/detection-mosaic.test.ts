import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NO_TILES, planRegionCrops, regionCrop } from '../../../../agent/edge/detection/crops.js';
import { decodeRows } from '../../../../agent/edge/detection/decode.js';
import { cellRows, MOSAIC_GUTTER, mosaicCells, mosaicCost, mosaicHalves, packMosaic, planBusyStill, planMosaicCrops, quartersFilled, shrinkInto } from '../../../../agent/edge/detection/mosaic.js';
import { MosaicYield } from '../../../../agent/edge/detection/mosaic-yield.js';
import type { Box } from '../../../../agent/edge/types.js';

const labels = { 0: { class: 'person', label: 'person' as const } };
const tiling = { grids: [2], overlap: 0.25, minImageSide: 640 };
const cells = mosaicCells(416, 416);
const cell = (i: number) => cells[i] ?? { left: 0, top: 0, width: 0, height: 0 };

describe('the mosaic grid', () => {
  it('has four equal cells with a black gutter between them, inside the input', () => {
    expect(cells).toEqual([
      { left: 0, top: 0, width: 204, height: 204 },
      { left: 212, top: 0, width: 204, height: 204 },
      { left: 0, top: 212, width: 204, height: 204 },
      { left: 212, top: 212, width: 204, height: 204 },
    ]);
    expect(cell(1).left - (cell(0).left + cell(0).width)).toBe(MOSAIC_GUTTER);
    for (const c of cells) expect(c.left + c.width).toBeLessThanOrEqual(416);
  });

  it('has halves for pairs: two rows (wide) or two columns (tall) of quarters with the gutter between them', () => {
    const { wide, tall } = mosaicHalves(416, 416);
    expect(wide).toEqual([{ left: 0, top: 0, width: 416, height: 204 }, { left: 0, top: 212, width: 416, height: 204 }]);
    expect(tall).toEqual([{ left: 0, top: 0, width: 204, height: 416 }, { left: 212, top: 0, width: 204, height: 416 }]);
    // A whole 768x576 frame is shrunk 2.8 times into a wide half.
    expect(shrinkInto({ width: 768, height: 576 }, wide[0])).toBeCloseTo(2.82, 2);
  });
});

describe('the mosaic plan', () => {
  it('sizes a small region\'s crop to a cell, at native scale, instead of the model\'s input', () => {
    const plan = planMosaicCrops(768, 576, [[0.5, 0.5, 0.55, 0.65]], 416, 204, tiling, 2);
    expect(plan.whole).toEqual([]);
    expect(plan.cells).toHaveLength(1);
    expect(plan.cells[0]?.rect).toMatchObject({ width: 204, height: 204 });
    expect(mosaicCost(plan)).toBe(0.25);
  });

  it('merges close regions while the merged crop shrinks at most maxShrink times into a cell', () => {
    const regions: Box[] = [[0.1, 0.1, 0.15, 0.25], [0.3, 0.1, 0.35, 0.25], [0.8, 0.7, 0.85, 0.85]];
    const plan = planMosaicCrops(768, 576, regions, 416, 204, tiling, 2);
    expect(plan.cells).toHaveLength(2);
    for (const c of plan.cells) expect(Math.max(c.rect.width, c.rect.height)).toBeLessThanOrEqual(408);
    // At maxShrink 1 nothing is shrunk: three cells at native scale.
    expect(planMosaicCrops(768, 576, regions, 416, 204, tiling, 1).cells).toHaveLength(3);
  });

  it('sends a region too large for a cell through the normal plan, and leaves out cells inside it', () => {
    const large: Box = [0.1, 0.1, 0.7, 0.9];
    const inside: Box = [0.3, 0.4, 0.33, 0.5];
    const far: Box = [0.9, 0.05, 0.95, 0.15];
    const plan = planMosaicCrops(1920, 1080, [large, inside, far], 416, 204, tiling, 2);
    expect(plan.whole).toEqual(planRegionCrops(1920, 1080, [large], 416, tiling, 2));
    expect(plan.cells).toHaveLength(1);
    expect(plan.cells[0]?.rect.left).toBeGreaterThan(1600);
  });

  it('costs a quarter input per cell, less than the normal plan\'s crops', () => {
    const regions: Box[] = [[0.05, 0.05, 0.1, 0.1], [0.9, 0.9, 0.95, 0.95]];
    const plan = planMosaicCrops(768, 576, regions, 416, 204, tiling, 2);
    expect(plan.cells).toHaveLength(2);
    expect(mosaicCost(plan)).toBe(0.5);
    expect(planRegionCrops(768, 576, regions, 416, tiling, 2)).toHaveLength(1);
  });

  it('keeps the normal region plan when that already looks at the whole picture in one input', () => {
    const fiveLarge: Box[] = [[0, 0, 0.6, 0.6], [0.4, 0.4, 1, 1], [0, 0.4, 0.6, 1], [0.4, 0, 1, 0.6], [0.2, 0.2, 0.8, 0.8]];
    const still = planMosaicCrops(3000, 2000, [...fiveLarge, [0.01, 0.01, 0.02, 0.02]], 416, 204, NO_TILES, 1);
    expect(still.cells).toEqual([]);
  });

  it('puts every region inside some crop of the plan (property)', () => {
    const region = fc.tuple(fc.double({ min: 0, max: 0.95, noNaN: true }), fc.double({ min: 0, max: 0.95, noNaN: true }), fc.double({ min: 0.01, max: 0.6, noNaN: true }), fc.double({ min: 0.01, max: 0.6, noNaN: true }))
      .map(([x, y, w, h]): Box => [x, y, Math.min(1, x + w), Math.min(1, y + h)]);
    fc.assert(fc.property(fc.array(region, { minLength: 1, maxLength: 6 }), fc.double({ min: 1, max: 3, noNaN: true }), (regions, shrink) => {
      const plan = planMosaicCrops(1280, 720, regions, 416, 204, tiling, shrink);
      const crops = [...plan.whole, ...plan.cells];
      for (const r of regions) {
        const cx = ((r[0] + r[2]) / 2) * 1280;
        const cy = ((r[1] + r[3]) / 2) * 720;
        expect(crops.some((c) => cx >= c.rect.left && cx <= c.rect.left + c.rect.width && cy >= c.rect.top && cy <= c.rect.top + c.rect.height)).toBe(true);
      }
      for (const c of plan.cells) expect(Math.max(c.rect.width, c.rect.height)).toBeLessThanOrEqual(204 * Math.min(4, Math.max(1, shrink)) + 1);
    }));
  });
});

describe('the mosaic plan with pairs', () => {
  const pairs = { maxShrink: 3, half: { width: 416, height: 204 } };
  const crowded: Box[] = [[0.05, 0.1, 0.3, 0.9], [0.7, 0.1, 0.95, 0.9], [0.4, 0.3, 0.6, 0.7]];

  it('moves a whole-input crop that fits half an input at the pair shrink to the halves, at half an input', () => {
    const plain = planMosaicCrops(768, 576, crowded, 416, 204, tiling, 2);
    expect(plain.whole).toHaveLength(1);
    expect(mosaicCost(plain)).toBe(1);
    const plan = planMosaicCrops(768, 576, crowded, 416, 204, tiling, 2, pairs);
    expect(plan.whole).toEqual([]);
    expect(plan.halves.map((c) => c.rect)).toEqual(plain.whole.map((c) => c.rect));
    expect(mosaicCost(plan)).toBe(0.5);
  });

  it('keeps a crop that would shrink more than the pair shrink in a whole input', () => {
    const plan = planMosaicCrops(768, 576, crowded, 416, 204, tiling, 2, { ...pairs, maxShrink: 2.5 });
    expect(plan.halves).toEqual([]);
    expect(plan.whole).toHaveLength(1);
    // A 1080p frame's large crop (832 px) does not fit a half at 3.
    expect(planMosaicCrops(1920, 1080, [[0.3, 0.1, 0.7, 0.9]], 416, 204, tiling, 2, pairs).halves).toEqual([]);
  });

  it('searches a whole frame on the busy plan with its crops in halves of inputs where they fit', () => {
    expect(planBusyStill(768, 576, tiling, 'frame', pairs)).toMatchObject({ whole: [], cells: [], halves: [{ kind: 'frame', rect: { left: 0, top: 0, width: 768, height: 576 } }] });
    expect(planBusyStill(768, 576, tiling, 'frame')).toMatchObject({ whole: [{ kind: 'frame' }], cells: [], halves: [] });
    expect(planBusyStill(1920, 1080, tiling, 'frame', pairs).whole).toHaveLength(1);
    // The full frame and its four tiles (439x330, 1.6x shrunk in a half): five halves, two and a half inputs.
    const tiled = planBusyStill(768, 576, tiling, 'pairs', pairs);
    expect(tiled.halves.map((c) => c.kind)).toEqual(['frame', 'tile', 'tile', 'tile', 'tile']);
    expect(mosaicCost(tiled)).toBe(2.5);
  });

  it('leaves small regions in quarter cells', () => {
    const plan = planMosaicCrops(768, 576, [[0.5, 0.5, 0.55, 0.65]], 416, 204, tiling, 2, pairs);
    expect(plan.cells).toHaveLength(1);
    expect(plan.halves).toEqual([]);
  });
});

describe('packing cells and halves into inputs', () => {
  const crop = (i: number, width = 100, height = 100) => regionCrop({ left: i * 10, top: 0, width, height }, 768, 576);
  const { wide, tall } = mosaicHalves(416, 416);

  it('fills inputs four cells at a time, in order, keeping which picture each crop came from', () => {
    const crops = ['a', 'a', 'b', 'c', 'c', 'c'].map((item, i) => ({ item, crop: crop(i) }));
    const { inputs, lone } = packMosaic(crops, [], 416, 416);
    expect(inputs.map((input) => input.map((p) => p.item))).toEqual([['a', 'a', 'b', 'c'], ['c', 'c']]);
    expect(inputs[1]?.map((p) => p.cell)).toEqual([cell(0), cell(1)]);
    expect(lone).toEqual([]);
    expect(packMosaic([], [], 416, 416)).toEqual({ inputs: [], lone: [] });
  });

  it('puts two wide halves one above the other, and two tall ones side by side', () => {
    const halves = [{ item: 'a', crop: crop(0, 768, 576) }, { item: 'b', crop: crop(1, 200, 500) }, { item: 'c', crop: crop(2, 700, 500) }, { item: 'd', crop: crop(3, 300, 600) }];
    const { inputs, lone } = packMosaic([], halves, 416, 416);
    expect(lone).toEqual([]);
    expect(inputs.map((input) => input.map((p) => [p.item, p.cell]))).toEqual([[['a', wide[0]], ['c', wide[1]]], [['b', tall[0]], ['d', tall[1]]]]);
    expect(inputs.map((input) => quartersFilled(input, cell(0)))).toEqual([4, 4]);
  });

  it('gives an odd half quarter cells for company, and runs a half with no company whole', () => {
    const half = { item: 'a', crop: crop(0, 768, 576) };
    const quarters = ['b', 'c', 'd'].map((item, i) => ({ item, crop: crop(i + 1) }));
    const { inputs } = packMosaic(quarters, [half], 416, 416);
    expect(inputs.map((input) => input.map((p) => [p.item, p.cell]))).toEqual([[['a', wide[0]], ['b', cell(2)], ['c', cell(3)]], [['d', cell(0)]]]);
    expect(packMosaic([], [half], 416, 416)).toEqual({ inputs: [], lone: [half] });
    // Packed alone on request (the eval): the other half stays black.
    expect(packMosaic([], [half], 416, 416, { lone: 'half' }).inputs).toEqual([[{ ...half, cell: wide[0] }]]);
  });

  it('places every crop once, never two in one cell, and leaves no half alone (property)', () => {
    const size = fc.tuple(fc.integer({ min: 50, max: 800 }), fc.integer({ min: 50, max: 800 }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), fc.array(size, { maxLength: 7 }), (nq, sizes) => {
      const quarters = Array.from({ length: nq }, (_, i) => ({ item: `q${i}`, crop: crop(i) }));
      const halves = sizes.map(([w, h], i) => ({ item: `h${i}`, crop: crop(i, w, h) }));
      const { inputs, lone } = packMosaic(quarters, halves, 416, 416);
      const items = [...inputs.flat().map((p) => p.item), ...lone.map((l) => l.item)].sort();
      expect(items).toEqual([...quarters, ...halves].map((c) => c.item).sort());
      for (const input of inputs) {
        expect(quartersFilled(input, cell(0))).toBeLessThanOrEqual(4);
        expect(input.length === 1 && input[0]?.item.startsWith('h')).toBe(false);
        for (const [i, a] of input.entries()) {
          for (const b of input.slice(i + 1)) {
            const apart = a.cell.left + a.cell.width <= b.cell.left || b.cell.left + b.cell.width <= a.cell.left
              || a.cell.top + a.cell.height <= b.cell.top || b.cell.top + b.cell.height <= a.cell.top;
            expect(apart).toBe(true);
          }
        }
      }
    }));
  });
});

describe('mapping boxes back from a cell', () => {
  const crop = regionCrop({ left: 300, top: 200, width: 204, height: 204 }, 768, 576); // every edge inside the picture
  const row = (box: number[], score = 0.9) => [...box, score, 0];

  it('gives each cell only the boxes centred in it, in the cell\'s pixels, and maps them to the picture', () => {
    const rows = [...row([212 + 50, 20, 212 + 90, 120]), ...row([10, 230, 40, 300])];
    const own = cellRows(rows, cell(1), { width: 204, height: 204 });
    expect(own).toEqual(row([50, 20, 90, 120]));
    const found = decodeRows(own, crop, { scaleX: 1, scaleY: 1 }, { width: 768, height: 576 }, labels, { minScore: 0.2, edgeTolerance: 0.03 });
    expect(found).toHaveLength(1);
    expect(found[0]?.box.map((v) => Math.round(v * 1000) / 1000)).toEqual([350 / 768, 220 / 576, 390 / 768, 320 / 576].map((v) => Math.round(v * 1000) / 1000));
  });

  it('drops a box cut by the cell border where the crop edge is inside the picture, as at a tile edge', () => {
    // Runs from cell 0 across the gutter into cell 1: clipped to cell 0, it touches its inner right edge.
    const own = cellRows(row([150, 40, 230, 160]), cell(0), { width: 204, height: 204 });
    expect(own).toEqual(row([150, 40, 204, 160]));
    expect(decodeRows(own, crop, { scaleX: 1, scaleY: 1 }, { width: 768, height: 576 }, labels, { minScore: 0.2, edgeTolerance: 0.03 })).toEqual([]);
  });

  it('keeps a box clipped at the picture\'s own edge, and ignores the black padding past the crop', () => {
    // The crop is the picture's right part, 100 px wide, scaled 1: content fills 100×204 of the cell.
    const edge = regionCrop({ left: 668, top: 200, width: 100, height: 204 }, 768, 576);
    const own = cellRows(row([60, 30, 110, 150]), cell(0), { width: 100, height: 204 });
    expect(own).toEqual(row([60, 30, 100, 150]));
    const found = decodeRows(own, edge, { scaleX: 1, scaleY: 1 }, { width: 768, height: 576 }, labels, { minScore: 0.2, edgeTolerance: 0.03 });
    expect(found).toHaveLength(1);
    expect(found[0]?.box[2]).toBeCloseTo(1, 5);
    // A box centred in the padding belongs to no picture.
    expect(cellRows(row([150, 30, 190, 150]), cell(0), { width: 100, height: 204 })).toEqual([]);
  });
});

describe('whether packing several frames pays', () => {
  it('pays while frames cost well under one input (cells as quarters, halves as halves), and stops when motion fills the picture', () => {
    const yieldOf = new MosaicYield();
    expect(yieldOf.pays()).toBe(true);
    // Four frames of one small region each: one input, four cells.
    for (let i = 0; i < 10; i++) yieldOf.record(4, 1, { inputs: 1, cells: 4 });
    expect(yieldOf.costPerFrame()).toBeCloseTo(0.25 * (1 - 0.9 ** 40), 5);
    expect(yieldOf.pays()).toBe(true);
    // One frame alone, two cells: its own input, but half an input when packed with others.
    yieldOf.record(1, 1, { inputs: 1, cells: 2 });
    expect(yieldOf.pays()).toBe(true);
    // Crowded frames in pairs: four frames, two inputs of two halves each.
    for (let i = 0; i < 10; i++) yieldOf.record(4, 2, { inputs: 2, cells: 8 });
    expect(yieldOf.costPerFrame()).toBeCloseTo(0.5, 1);
    expect(yieldOf.pays()).toBe(true);
    // Crowded frames: one whole-input crop each, no cells.
    for (let i = 0; i < 30; i++) yieldOf.record(1, 1, { inputs: 0, cells: 0 });
    expect(yieldOf.pays()).toBe(false);
    yieldOf.record(0, 3, { inputs: 0, cells: 0 });
    expect(yieldOf.costPerFrame()).toBeGreaterThan(0.75);
  });
});
