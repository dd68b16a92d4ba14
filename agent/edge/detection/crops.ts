import type { Box } from '../types.js';
import type { Rect } from '../box.js';

/**
 * Where the model looks. A 512×512 model sees a whole 1080p frame shrunk nearly four times, and a
 * person 30 pixels tall at the far end of a lane vanishes. So, as the strong NVRs do, the model also
 * runs on crops — tiles of the frame, or squares around motion — each scaled up to the model's input,
 * and the boxes are mapped back and merged.
 */
export interface Crop {
  rect: Rect;
  /** Image edges of this crop that are inside the picture: a box touching one is probably cut. */
  innerEdges: { left: boolean; top: boolean; right: boolean; bottom: boolean };
  kind: 'frame' | 'tile' | 'region';
}

export interface TilingOptions {
  /** Tile grids to add to the full frame, e.g. [2] for 2×2, [2, 3] for 2×2 and 3×3. Empty: none. */
  grids: number[];
  /** Fraction of a tile shared with its neighbour. */
  overlap: number;
  /** Tiles are only added when the image's longer side is at least this many pixels. */
  minImageSide: number;
}

/** How far a merged region crop may be shrunk into the model's input on the normal plan. */
export const DEFAULT_MAX_SHRINK = 1.5;

export const NO_TILES: TilingOptions = { grids: [], overlap: 0, minImageSide: Number.POSITIVE_INFINITY };

export function fullFrame(width: number, height: number): Crop {
  return { rect: { left: 0, top: 0, width, height }, innerEdges: { left: false, top: false, right: false, bottom: false }, kind: 'frame' };
}

/** The full frame, plus overlapping tiles when the image is large enough for them to pay. */
export function planStillCrops(width: number, height: number, tiling: TilingOptions): Crop[] {
  const crops = [fullFrame(width, height)];
  if (Math.max(width, height) < tiling.minImageSide) return crops;
  for (const n of tiling.grids) crops.push(...gridTiles(width, height, n, tiling.overlap));
  return crops;
}

export function gridTiles(width: number, height: number, n: number, overlap: number): Crop[] {
  if (n < 2) return [];
  const span = (total: number) => Math.min(total, Math.ceil(total / (n - (n - 1) * overlap)));
  const tileW = span(width);
  const tileH = span(height);
  const crops: Crop[] = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const left = Math.round((col * (width - tileW)) / (n - 1));
      const top = Math.round((row * (height - tileH)) / (n - 1));
      crops.push({
        rect: { left, top, width: tileW, height: tileH },
        innerEdges: { left: left > 0, top: top > 0, right: left + tileW < width, bottom: top + tileH < height },
        kind: 'tile',
      });
    }
  }
  return crops;
}

/**
 * Squares around regions of interest (normalised boxes, e.g. from motion), with a margin and at
 * least `minSide` pixels, kept inside the image. Overlapping squares are left to the merge step.
 */
export function regionCrops(width: number, height: number, regions: readonly Box[], minSide: number, margin = 0.2): Crop[] {
  return regions.map((region) => {
    const w = (region[2] - region[0]) * width;
    const h = (region[3] - region[1]) * height;
    const side = Math.min(Math.max(width, height), Math.max(minSide, Math.round(Math.max(w, h) * (1 + 2 * margin))));
    const cropW = Math.min(width, side);
    const cropH = Math.min(height, side);
    const cx = ((region[0] + region[2]) / 2) * width;
    const cy = ((region[1] + region[3]) / 2) * height;
    const left = clampInt(cx - cropW / 2, 0, width - cropW);
    const top = clampInt(cy - cropH / 2, 0, height - cropH);
    return {
      rect: { left, top, width: cropW, height: cropH },
      innerEdges: { left: left > 0, top: top > 0, right: left + cropW < width, bottom: top + cropH < height },
      kind: 'region' as const,
    };
  });
}

/**
 * Where the model looks on a frame with motion: squares around the regions, merged where they
 * overlap so one walker is not run through the model once per motion blob. Merging stops when a
 * merged rectangle would be shrunk more than `maxShrink` times beyond the model's input (small
 * objects would vanish again). When the regions still cost at least as many inferences as the
 * still plan (full frame + tiles), the still plan is used: it sees as much for no more work.
 * `maxShrink` is kept within 1..4 (undefined: 1.5).
 */
export function planRegionCrops(width: number, height: number, regions: readonly Box[], minSide: number, tiling: TilingOptions, maxShrink = DEFAULT_MAX_SHRINK): Crop[] {
  const limit = minSide * shrinkLimit(maxShrink);
  const rects = mergeRects(regionCrops(width, height, regions, minSide).map((c) => c.rect), limit);
  const still = planStillCrops(width, height, tiling);
  if (rects.length >= still.length) return still;
  return rects.map((rect) => regionCrop(rect, width, height));
}

/** The shrink limit of a plan, kept within 1..4 (not finite: the normal plan's). */
export function shrinkLimit(maxShrink: number): number {
  return Number.isFinite(maxShrink) ? Math.min(4, Math.max(1, maxShrink)) : DEFAULT_MAX_SHRINK;
}

/** A crop of `rect` in a `width`×`height` picture; its edges inside the picture are inner edges. */
export function regionCrop(rect: Rect, width: number, height: number): Crop {
  return {
    rect,
    innerEdges: { left: rect.left > 0, top: rect.top > 0, right: rect.left + rect.width < width, bottom: rect.top + rect.height < height },
    kind: 'region',
  };
}

/** Merges rectangles pairwise while the merged one's longer side stays within `limit` pixels. */
export function mergeRects(input: readonly Rect[], limit: number): Rect[] {
  const rects = [...input];
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < rects.length && !merged; i++) {
      for (let j = i + 1; j < rects.length && !merged; j++) {
        const union = unionRect(rects[i] as Rect, rects[j] as Rect);
        if (Math.max(union.width, union.height) <= limit) {
          rects.splice(j, 1);
          rects[i] = union;
          merged = true;
        }
      }
    }
  }
  return rects;
}

function unionRect(a: Rect, b: Rect): Rect {
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  return {
    left,
    top,
    width: Math.max(a.left + a.width, b.left + b.width) - left,
    height: Math.max(a.top + a.height, b.top + b.height) - top,
  };
}

function clampInt(v: number, min: number, max: number): number {
  return Math.round(Math.min(max, Math.max(min, v)));
}
