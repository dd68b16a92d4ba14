import type { Rect } from '../box.js';
import type { Box } from '../types.js';
import { fullFrame, mergeRects, planRegionCrops, planStillCrops, regionCrop, regionCrops, shrinkLimit, type Crop, type TilingOptions } from './crops.js';

/**
 * The mosaic (docs/detection.md, docs/capacity.md): the model's input is fixed (416×416 for
 * nanodet) and a small motion region padded to it costs a whole inference. Instead, small region
 * crops are sized to the region and packed four to an input, one per cell of a 2×2 grid with a
 * black gutter between the cells, from one frame or from several cameras' frames at once; larger
 * crops that fit half the input at the pair shrink share an input two by two (pairs). Boxes
 * are mapped back per cell; a box cut by its cell's border where the crop's edge lies inside the
 * picture is dropped, as at a tile's inner edge.
 */

/** Black pixels between two cells, so one cell's picture does not run into its neighbour's. */
export const MOSAIC_GUTTER = 8;

/** Cells per mosaic input: a 2×2 grid. */
export const MOSAIC_CELLS = 4;

/** One cell of the mosaic, in input pixels: a quarter of the input, or a half (two quarters and their gutter). */
export interface Cell {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The 2×2 cells of a `width`×`height` input with `gutter` black pixels between them. */
export function mosaicCells(width: number, height: number, gutter = MOSAIC_GUTTER): Cell[] {
  const side = cellSide(width, height, gutter);
  const far = side + gutter;
  return [
    { left: 0, top: 0, width: side, height: side },
    { left: far, top: 0, width: side, height: side },
    { left: 0, top: far, width: side, height: side },
    { left: far, top: far, width: side, height: side },
  ];
}

/** The side of a quarter cell of a `width`×`height` input. */
export function cellSide(width: number, height: number, gutter = MOSAIC_GUTTER): number {
  return Math.floor((Math.min(width, height) - gutter) / 2);
}

/**
 * The halves of the input for a pair: `wide` ones lie one above the other (the rows of quarters 0-1
 * and 2-3), `tall` ones side by side (the columns of quarters 0-2 and 1-3); each as wide (or tall) as
 * the input and a cell's side across, with the gutter between them.
 */
export function mosaicHalves(width: number, height: number, gutter = MOSAIC_GUTTER): { wide: [Cell, Cell]; tall: [Cell, Cell] } {
  const side = cellSide(width, height, gutter);
  const far = side + gutter;
  return {
    wide: [{ left: 0, top: 0, width, height: side }, { left: 0, top: far, width, height: side }],
    tall: [{ left: 0, top: 0, width: side, height }, { left: far, top: 0, width: side, height }],
  };
}

/** How many times `rect` is shrunk when fitted (aspect kept) into `cell`. */
export function shrinkInto(rect: { width: number; height: number }, cell: { width: number; height: number }): number {
  return Math.max(rect.width / cell.width, rect.height / cell.height);
}

/**
 * Where the model looks on one motion frame: crops run alone (whole input), crops for a quarter
 * cell, and crops for half an input (`halves`: the pairs, sharing an input with another frame's).
 */
export interface MosaicPlan {
  whole: Crop[];
  cells: Crop[];
  halves: Crop[];
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
  pairs?: PairOptions,
): MosaicPlan {
  const plain = pairUp(planRegionCrops(width, height, regions, inputSide, tiling, maxShrink), [], pairs);
  const limit = cellSide * shrinkLimit(maxShrink);
  const squares = regionCrops(width, height, regions, cellSide).map((c) => c.rect);
  const large = regions.filter((_, i) => !fits(squares[i], limit));
  const whole = large.length === 0 ? [] : planRegionCrops(width, height, large, inputSide, tiling, maxShrink);
  const cells = mergeRects(squares.filter((r) => fits(r, limit)), limit)
    .filter((rect) => !whole.some((c) => inside(rect, c.rect)))
    .map((rect) => regionCrop(rect, width, height));
  if (cells.length === 0) return plain;
  const mosaic = pairUp(whole, cells, pairs);
  return mosaicCost(mosaic) >= mosaicCost(plain) ? plain : mosaic;
}

/**
 * Pairs (docs/capacity.md): a whole-input crop that fits half the input shrunk at most `maxShrink`
 * times (1..4) may share an input with another frame's; `half` is the wide half's size (a tall one
 * is the same turned).
 */
export interface PairOptions {
  maxShrink: number;
  half: { width: number; height: number };
}

/**
 * A whole-frame search on the busy plan: the full frame and its tiles (`pairs`), or the full frame
 * alone (`frame`); with pairs, each crop that fits half an input at the pair shrink goes in a half.
 */
export function planBusyStill(width: number, height: number, tiling: TilingOptions, still: 'pairs' | 'frame', pairs?: PairOptions): MosaicPlan {
  return pairUp(still === 'frame' ? [fullFrame(width, height)] : planStillCrops(width, height, tiling), [], pairs);
}

/** The plan with each whole-input crop that fits a half at the pair shrink moved to `halves`. */
function pairUp(whole: Crop[], cells: Crop[], pairs: PairOptions | undefined): MosaicPlan {
  if (pairs === undefined) return { whole, cells, halves: [] };
  const limit = shrinkLimit(pairs.maxShrink);
  const fitsHalf = (c: Crop) => shrinkInto(c.rect, halfFor(c.rect, pairs.half)) <= limit;
  return { whole: whole.filter((c) => !fitsHalf(c)), cells, halves: whole.filter(fitsHalf) };
}

/** The half a crop goes into: wide for a crop at least as wide as tall, tall otherwise. */
function halfFor(rect: { width: number; height: number }, wide: { width: number; height: number }): { width: number; height: number } {
  return rect.width >= rect.height ? wide : { width: wide.height, height: wide.width };
}

/** Inputs a plan costs when its cells and halves share inputs with other frames' (a cell is a quarter, a half a half). */
export function mosaicCost(plan: MosaicPlan): number {
  return plan.whole.length + plan.halves.length / 2 + plan.cells.length / MOSAIC_CELLS;
}

/** A crop placed in a mosaic: which picture of the batch it comes from, and its cell. */
export interface Placement<T> {
  item: T;
  crop: Crop;
  cell: Cell;
}

/** Mosaic inputs packed, and the halves left alone in an input (no other crop to share it with). */
export interface Packing<T> {
  inputs: Placement<T>[][];
  /** Halves that would fill an input with nothing else in it: the caller runs each as a whole-input crop. */
  lone: { item: T; crop: Crop }[];
}

/**
 * Packs quarter-cell crops and half crops (of one picture or several) into `width`×`height`
 * inputs: halves two to an input (wide ones one above the other, tall ones side by side), an odd
 * half with quarter cells beside it, then quarter cells four to an input, in the order given (the
 * crops of one picture stay together as far as they can). With `lone: 'whole'` (the default), a half
 * that would be alone in its input is returned in `lone` instead: a whole input sees it less shrunk
 * for the same cost. With `lone: 'half'` it is packed alone (the other half black), as it would be
 * beside another frame's (the eval, which runs frames one at a time).
 */
export function packMosaic<T>(
  quarters: readonly { item: T; crop: Crop }[], halves: readonly { item: T; crop: Crop }[], width: number, height: number,
  options: { lone?: 'whole' | 'half' } = {},
): Packing<T> {
  const cells = mosaicCells(width, height);
  const { wide, tall } = mosaicHalves(width, height);
  const inputs: { placed: Placement<T>[]; free: Cell[] }[] = [];
  for (const [kind, pair, free] of [['wide', wide, [cells[2], cells[3]]], ['tall', tall, [cells[1], cells[3]]]] as const) {
    const these = halves.filter((h) => (h.crop.rect.width >= h.crop.rect.height) === (kind === 'wide'));
    for (let i = 0; i < these.length; i += 2) {
      const placed = these.slice(i, i + 2).map((h, j) => ({ item: h.item, crop: h.crop, cell: pair[j] as Cell }));
      inputs.push({ placed, free: placed.length === 2 ? [] : free.filter((c): c is Cell => c !== undefined) });
    }
  }
  for (const q of quarters) {
    let input = inputs.find((i) => i.free.length > 0);
    if (input === undefined) {
      input = { placed: [], free: [...cells] };
      inputs.push(input);
    }
    input.placed.push({ item: q.item, crop: q.crop, cell: input.free.shift() as Cell });
  }
  const lone = options.lone === 'half' ? [] : inputs.filter((i) => i.placed.length === 1 && isHalf(i.placed[0]?.cell, cells[0]));
  return {
    inputs: inputs.filter((i) => !lone.includes(i)).map((i) => i.placed),
    lone: lone.flatMap((i) => i.placed.map((p) => ({ item: p.item, crop: p.crop }))),
  };
}

/** Quarters an input's placements fill: a half counts two. */
export function quartersFilled(placed: readonly { cell: Cell }[], quarter: Cell | undefined): number {
  return placed.reduce((n, p) => n + (isHalf(p.cell, quarter) ? 2 : 1), 0);
}

function isHalf(cell: Cell | undefined, quarter: Cell | undefined): boolean {
  return cell !== undefined && quarter !== undefined && (cell.width > quarter.width || cell.height > quarter.height);
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
  const right = Math.min(cell.width, content.width);
  const bottom = Math.min(cell.height, content.height);
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
