import type { Box } from '../pipeline/types.js';

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
