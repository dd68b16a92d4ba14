import type { Detection } from '../types.js';
import type { ModelManifest } from '../../models/manifest.js';
import type { Crop } from './crops.js';
import { clampBox } from '../box.js';

/** How a crop was scaled into the model input: model pixels / scale = crop pixels. */
export interface CropScale {
  scaleX: number;
  scaleY: number;
}

export interface DecodeOptions {
  /** Rows scoring below this are dropped (the per-label thresholds come later). */
  minScore: number;
  /** A box within this fraction of the crop's side from an inner edge counts as cut by it. */
  edgeTolerance: number;
}

type LabelEntry = ModelManifest['labels'][string];

/** The calibrated score of a raw one (`calibration` in the manifest; none: unchanged). */
export function calibrate(raw: number, points: LabelEntry['calibration']): number {
  return points === undefined ? raw : piecewise(raw, [[0, 0], ...points, [1, 1]]);
}

/**
 * The lowest raw score any of the model's classes could have and still calibrate to `minScore`:
 * the floor the raw decoders cut at, so nothing that would pass after calibration is lost.
 */
export function rawFloor(labels: ModelManifest['labels'], minScore: number): number {
  let floor = minScore;
  for (const entry of Object.values(labels)) floor = Math.min(floor, uncalibrate(minScore, entry.calibration));
  return floor;
}

/** The raw score that calibrates to `score` (the inverse of `calibrate`). */
export function uncalibrate(score: number, points: LabelEntry['calibration']): number {
  return points === undefined ? score : piecewise(score, [[0, 0], ...points.map(([raw, cal]): [number, number] => [cal, raw]), [1, 1]]);
}

function piecewise(x: number, points: readonly (readonly [number, number])[]): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1] as readonly [number, number];
    const [x1, y1] = points[i] as readonly [number, number];
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((x - x0) * (y1 - y0)) / (x1 - x0);
  }
  return x;
}

/**
 * Turns the model's rows `[x1, y1, x2, y2, score, class]` (input pixels) into detections with
 * boxes normalised to the whole image, scores calibrated where the manifest says so. Classes
 * without an alert label are dropped, and so are boxes cut by a crop's inner edge: the
 * neighbouring crop or the full frame sees that object whole.
 */
export function decodeRows(
  rows: Float32Array | number[],
  crop: Crop,
  scale: CropScale,
  image: { width: number; height: number },
  labels: ModelManifest['labels'],
  options: DecodeOptions,
): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i + 5 < rows.length; i += 6) {
    const entry = labels[String(Math.round(rows[i + 5] ?? -1))];
    if (entry === undefined) continue;
    const score = calibrate(rows[i + 4] ?? 0, entry.calibration);
    if (!(score >= options.minScore)) continue;
    const x1 = (rows[i] ?? 0) / scale.scaleX;
    const y1 = (rows[i + 1] ?? 0) / scale.scaleY;
    const x2 = (rows[i + 2] ?? 0) / scale.scaleX;
    const y2 = (rows[i + 3] ?? 0) / scale.scaleY;
    if (!(x2 > x1 && y2 > y1)) continue;
    if (cutByInnerEdge([x1, y1, x2, y2], crop, options.edgeTolerance)) continue;
    const { left, top } = crop.rect;
    const box = clampBox([(left + x1) / image.width, (top + y1) / image.height, (left + x2) / image.width, (top + y2) / image.height]);
    out.push({ label: entry.label, class: entry.class, score, box });
  }
  return out;
}

function cutByInnerEdge(box: [number, number, number, number], crop: Crop, tolerance: number): boolean {
  const { width, height } = crop.rect;
  const tx = width * tolerance;
  const ty = height * tolerance;
  const edges = crop.innerEdges;
  return (edges.left && box[0] <= tx) || (edges.top && box[1] <= ty)
    || (edges.right && box[2] >= width - tx) || (edges.bottom && box[3] >= height - ty);
}
