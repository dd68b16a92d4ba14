// Geometry of normalised boxes ([x1, y1, x2, y2], 0..1), shared by detection and tracking.
import type { Box } from './types.js';

/** A rectangle in image pixels: left, top, width, height (integers). */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function area(box: Box): number {
  return Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]);
}

export function intersection(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  return inter === 0 ? 0 : inter / (area(a) + area(b) - inter);
}

/** Intersection over the smaller box: 1 when one box lies inside the other. */
export function containment(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const smaller = Math.min(area(a), area(b));
  return inter === 0 || smaller === 0 ? 0 : inter / smaller;
}

export function clampBox(box: Box): Box {
  const c = (v: number) => Math.min(1, Math.max(0, v));
  return [c(box[0]), c(box[1]), c(box[2]), c(box[3])];
}

/** Centre distance in units of the first box's diagonal: how far `b` is from `a` relative to `a`'s size. */
export function relativeDistance(a: Box, b: Box): number {
  const dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2;
  const dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2;
  const diagonal = Math.hypot(a[2] - a[0], a[3] - a[1]);
  return diagonal <= 0 ? Number.POSITIVE_INFINITY : Math.hypot(dx, dy) / diagonal;
}

/** The larger box's diagonal over the smaller one's: 1 for boxes of the same size. */
export function sizeRatio(a: Box, b: Box): number {
  const da = Math.hypot(a[2] - a[0], a[3] - a[1]);
  const db = Math.hypot(b[2] - b[0], b[3] - b[1]);
  return Math.min(da, db) <= 0 ? Number.POSITIVE_INFINITY : Math.max(da, db) / Math.min(da, db);
}

/** Grows a box by `margin` of its size on every side (at least `minSide` wide and high), clipped to the image. */
export function expand(box: Box, margin: number, minSide = 0): Box {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const padX = Math.max(w * margin, (minSide - w) / 2, 0);
  const padY = Math.max(h * margin, (minSide - h) / 2, 0);
  return [Math.max(0, box[0] - padX), Math.max(0, box[1] - padY), Math.min(1, box[2] + padX), Math.min(1, box[3] + padY)];
}
