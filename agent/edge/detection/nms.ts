import type { Detection } from '../types.js';
import { containment, iou } from '../box.js';

export interface MergeOptions {
  /** Boxes of one label overlapping more than this (IoU) are one object. */
  iou: number;
  /**
   * Boxes of one label where the smaller lies this much inside the larger are one object: a person
   * seen whole in one crop and cut in half by the edge of another.
   */
  containment: number;
}

export const DEFAULT_MERGE: MergeOptions = { iou: 0.45, containment: 0.8 };

/**
 * Greedy non-maximum suppression per alert label (a bicycle and a motorcycle box on the same
 * two-wheeler are one e-bike): keeps the best-scoring box of each cluster.
 */
export function mergeDetections(detections: readonly Detection[], options: MergeOptions = DEFAULT_MERGE): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    const duplicate = kept.some((k) => k.label === candidate.label
      && (iou(k.box, candidate.box) > options.iou || containment(k.box, candidate.box) > options.containment));
    if (!duplicate) kept.push(candidate);
  }
  return kept;
}
