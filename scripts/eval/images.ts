/** Image level: each still image through the detector as `minwang detect` runs it. */
import type { DetectorConfig } from '../../agent/config/sections/detector.js';
import type { TfDetector } from '../../agent/edge/detection/tf-detector.js';
import type { Label } from '../../agent/edge/types.js';
import { scorelessFilter, scoresByLabel } from './detectors.js';
import type { EvalImage } from './sets.js';
import type { ScoredImage } from './scoring.js';

export interface ImageRun {
  scored: ScoredImage[];
  /** Wall time of `detect` per image (decode, crops, inferences, merge), on this machine. */
  msPerImage: number;
  inferencesPerImage: number;
  /** Model runs per image id (crops, and a second look at dark frames). */
  inferencesById: Map<string, number>;
  failed: { id: string; error: string }[];
}

export async function runImages(detector: TfDetector, config: DetectorConfig, images: readonly EvalImage[], progress: (line: string) => void): Promise<ImageRun> {
  const filter = scorelessFilter(config);
  const scored: ScoredImage[] = [];
  const failed: ImageRun['failed'] = [];
  let ms = 0;
  let inferences = 0;
  const inferencesById = new Map<string, number>();
  for (const [i, image] of images.entries()) {
    let result;
    const before = detector.inferences();
    try {
      result = await detector.detect(await image.load());
    } catch (err) {
      failed.push({ id: image.id, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    ms += result.ms;
    inferencesById.set(image.id, detector.inferences() - before);
    inferences += detector.inferences() - before;
    const scores = scoresByLabel(result.detections, filter);
    scored.push({ id: image.id, truth: image.truth, present: image.present, scores });
    progress(`[${i + 1}/${images.length}] ${image.id}: ${describe(image, scores)} (${result.ms} ms, ${inferencesById.get(image.id)} inferences)`);
  }
  const n = Math.max(1, scored.length);
  return { scored, msPerImage: Math.round(ms / n), inferencesPerImage: Math.round((inferences / n) * 100) / 100, inferencesById, failed };
}

function describe(image: EvalImage, scores: Record<Label, number[]>): string {
  const part = (label: Label) => {
    const truth = image.truth[label] ?? (image.present[label] ? 'yes' : 'no');
    const best = scores[label].slice(0, 3).map((s) => s.toFixed(2)).join(',');
    return `${label} ${truth} [${best}]`;
  };
  return `${part('person')} ${part('ebike')}`;
}
