import { iou } from '../box.js';
import type { Detection, Label } from '../types.js';
import { regionCrop, type Crop } from './crops.js';

/**
 * A closer look at the boxes the model is unsure of (docs/detection.md, "Closer look"). On a still
 * picture the model sees the frame shrunk about 4–5 times and each 2×2 tile about 3 times; a distant
 * person 40 px tall is then a few pixels of model input, and a fence post or a bollard of the same
 * size scores about the same. The boxes scoring between `from` and `upTo` are cut out again at the
 * picture's own resolution, with room around them, and looked at once more, four to an input (the
 * mosaic's cells). The box's score becomes the mean of the two looks (0 for the second when the
 * closer look finds nothing of that label there): what the model is sure of close up rises, what
 * it only guessed at from afar falls. (Taking the closer look's score whenever it was surer found
 * more people but counted crowds twice: docs/detection.md.)
 */
export interface ZoomOptions {
  /** The labels whose unsure boxes are looked at again. */
  labels: readonly Label[];
  /** Boxes scoring at least this are looked at again (below it they stay as they are). */
  from: number;
  /** ...and below this; boxes scoring this or more are already sure. */
  upTo: number;
  /** The most boxes of one picture looked at again (the best-scoring first); 4 share one input. */
  maxPerPicture: number;
}

export const ZOOM_OFF: ZoomOptions = { labels: [], from: 1, upTo: 1, maxPerPicture: 0 };

/** The crop around a box: this many times its longer side... */
const CONTEXT = 2.5;
/** ...but at least this many pixels (a box of 10 px is not blown up 20 times). */
const MIN_SIDE = 96;
/** A box of the closer look is the same object when it overlaps the first box this much (IoU). */
const SAME_OBJECT_IOU = 0.3;

/** The boxes to look at again, best first. */
export function zoomCandidates(detections: readonly Detection[], options: ZoomOptions): Detection[] {
  return detections
    .filter((d) => options.labels.includes(d.label) && d.score >= options.from && d.score < options.upTo)
    .sort((a, b) => b.score - a.score)
    .slice(0, options.maxPerPicture);
}

/**
 * The square crop (image pixels) around a box: centred on it, `CONTEXT` times its longer side, at
 * least `MIN_SIDE` pixels and at most the picture, shifted (not shrunk) to stay inside the picture.
 */
export function zoomCrop(box: readonly [number, number, number, number], width: number, height: number): Crop {
  const [x1, y1, x2, y2] = box;
  const boxSide = Math.max((x2 - x1) * width, (y2 - y1) * height);
  const side = Math.round(Math.min(Math.max(width, height), Math.max(MIN_SIDE, boxSide * CONTEXT)));
  const w = Math.min(side, width);
  const h = Math.min(side, height);
  const cx = ((x1 + x2) / 2) * width;
  const cy = ((y1 + y2) / 2) * height;
  const left = Math.round(Math.min(Math.max(0, cx - w / 2), width - w));
  const top = Math.round(Math.min(Math.max(0, cy - h / 2), height - h));
  return regionCrop({ left, top, width: w, height: h }, width, height);
}

/** The box's score after the closer look found `closer` (that crop's detections, in picture coordinates). */
export function rescore(candidate: Detection, closer: readonly Detection[]): number {
  let best = 0;
  for (const d of closer) {
    if (d.label === candidate.label && d.score > best && iou(d.box, candidate.box) >= SAME_OBJECT_IOU) best = d.score;
  }
  return (candidate.score + best) / 2;
}

/** `detections` with each looked-at box's new score (`scores`, in the order of `candidates`), best first. */
export function applyZoom(detections: readonly Detection[], candidates: readonly Detection[], scores: readonly number[]): Detection[] {
  const next = new Map(candidates.map((c, i) => [c, scores[i] ?? c.score]));
  return detections.map((d) => ({ ...d, score: next.get(d) ?? d.score })).sort((a, b) => b.score - a.score);
}
