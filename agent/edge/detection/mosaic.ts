import type { Rect } from '../box.js';
import type { Box } from '../types.js';
import { mergeRects, planRegionCrops, regionCrop, regionCrops, shrinkLimit, type Crop, type TilingOptions } from './crops.js';

/**
 * The mosaic (docs/detection.md, docs/capacity.md): the model's input is fixed (416×416 for
 * nanodet) and a small motion region padded to it costs a whole inference. Instead, small region
 * crops are sized to the region and packed four to an input, one per cell of a 2×2 grid with a
 * black gutter between the cells, from one frame or from several cameras' frames at once. Boxes
 * are mapped back per cell; a box cut by its cell's border where the crop's edge lies inside the
 * picture is dropped, as at a tile's inner edge.
 */

/** Black pixels between two cells, so one cell's picture does not run into its neighbour's. */
export const MOSAIC_GUTTER = 8;

/** Cells per mosaic input: a 2×2 grid. */
export const MOSAIC_CELLS = 4;

/** One cell of the mosaic, in input pixels. */
export interface Cell {
  left: number;
  top: number;
  side: number;
}

/** The 2×2 cells of a `width`×`height` input with `gutter` black pixels between them. */
export function mosaicCells(width: number, height: number, gutter = MOSAIC_GUTTER): Cell[] {
  const side = Math.floor((Math.min(width, height) - gutter) / 2);
  const far = side + gutter;
  return [
    { left: 0, top: 0, side },
    { left: far, top: 0, side },
    { left: 0, top: far, side },
    { left: far, top: far, side },
  ];
}

/** Where the model looks on one motion frame: crops run alone (whole input) and crops for a cell. */
export interface MosaicPlan {
  whole: Crop[];
  cells: Crop[];
}

/**
 * The mosaic plan for one frame: squares around the regions of at least `cellSide` pixels, merged
 * while the merged square is shrunk at most `maxShrink` times into a cell; a region too large for a
 * cell at that shrink goes through the normal region plan (`planRegionCrops`, whole input). A cell
 * whose crop lies inside a whole-input crop is left out (that crop sees it). When the mosaic would
 * cost more inputs than the normal region plan (a cell is a quarter), the normal plan is kept.
 */
export function planMosaicCrops(
  width: number, height: number, regions: readonly Box[], inputSide: number, cellSide: number, tiling: TilingOptions, maxShrink: number,
): MosaicPlan {
  const plain = planRegionCrops(width, height, regions, inputSide, tiling, maxShrink);
  const limit = cellSide * shrinkLimit(maxShrink);
  const squares = regionCrops(width, height, regions, cellSide).map((c) => c.rect);
  const large = regions.filter((_, i) => !fits(squares[i], limit));
  const whole = large.length === 0 ? [] : planRegionCrops(width, height, large, inputSide, tiling, maxShrink);
  const cells = mergeRects(squares.filter((r) => fits(r, limit)), limit)
    .filter((rect) => !whole.some((c) => inside(rect, c.rect)))
    .map((rect) => regionCrop(rect, width, height));
  if (cells.length === 0 || mosaicCost({ whole, cells }) >= plain.length) return { whole: plain, cells: [] };
  return { whole, cells };
}

/** Inputs a plan costs when its cells share inputs with other frames' cells (a cell is a quarter). */
export function mosaicCost(plan: MosaicPlan): number {
  return plan.whole.length + plan.cells.length / MOSAIC_CELLS;
}

/** A crop placed in a mosaic: which picture of the batch it comes from, and its cell. */
export interface Placement<T> {
  item: T;
  crop: Crop;
  cell: Cell;
}

/**
 * Packs cell crops (of one picture or several) into inputs, four to an input, in the order given:
 * the crops of one picture stay together as far as they can.
 */
export function packCells<T>(crops: readonly { item: T; crop: Crop }[], cells: readonly Cell[]): Placement<T>[][] {
  const inputs: Placement<T>[][] = [];
  crops.forEach((c, i) => {
    const slot = i % cells.length;
    if (slot === 0) inputs.push([]);
    inputs[inputs.length - 1]?.push({ item: c.item, crop: c.crop, cell: cells[slot] as Cell });
  });
  return inputs;
}

/**
 * The model's rows `[x1, y1, x2, y2, score, class]` (input pixels) that belong to one cell, in the
 * cell's own pixels: a row belongs to the cell that holds its centre, and is clipped to the part of
 * the cell the crop's picture fills (`content`, the crop scaled into the cell). A box clipped at an
 * edge that lies inside the picture then touches that edge, so the caller's inner-edge rule
 * (`decodeRows`) drops it, as at a tile's inner edge; at the picture's own edge it is kept, clipped.
 */
export function cellRows(rows: Float32Array | readonly number[], cell: Cell, content: { width: number; height: number }): number[] {
  const out: number[] = [];
  const right = Math.min(cell.side, content.width);
  const bottom = Math.min(cell.side, content.height);
  for (let i = 0; i + 5 < rows.length; i += 6) {
    const x1 = (rows[i] ?? 0) - cell.left;
    const y1 = (rows[i + 1] ?? 0) - cell.top;
    const x2 = (rows[i + 2] ?? 0) - cell.left;
    const y2 = (rows[i + 3] ?? 0) - cell.top;
    const cx = (x1 + x2) / 2;
    const cy = (y1 + y2) / 2;
    if (!(cx >= 0 && cx < right && cy >= 0 && cy < bottom)) continue;
    out.push(Math.max(0, x1), Math.max(0, y1), Math.min(right, x2), Math.min(bottom, y2), rows[i + 4] ?? 0, rows[i + 5] ?? -1);
  }
  return out;
}

function fits(rect: Rect | undefined, limit: number): boolean {
  return rect !== undefined && Math.max(rect.width, rect.height) <= limit;
}

function inside(a: Rect, b: Rect): boolean {
  return a.left >= b.left && a.top >= b.top && a.left + a.width <= b.left + b.width && a.top + a.height <= b.top + b.height;
}
