/**
 * One detector configuration's detections on every image of a dev set, kept in a cache keyed by the
 * images (their ids, which carry a hash of the file, and their hand counts), the model and the
 * detector settings: a later run with the same settings only reads them back, detections made under
 * other settings or of other images are never reused, and a change to the set's videos alone keeps them.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DetectorConfig } from '../../agent/config/sections/detector.js';
import { filterDetections } from '../../agent/edge/detection/filters.js';
import type { Detection } from '../../agent/edge/types.js';
import { evalDetector, scorelessFilter } from './detectors.js';
import type { ScoredImage } from './scoring.js';
import type { EvalImage } from './sets.js';

export interface Found {
  id: string;
  truth: ScoredImage['truth'];
  present: ScoredImage['present'];
  detections: Detection[];
}

export async function cachedDetections(
  config: DetectorConfig, images: readonly EvalImage[], cacheDir: string, progress: (line: string) => void,
): Promise<Found[]> {
  const settings = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  const set = createHash('sha256').update(JSON.stringify(images.map((i) => [i.id, i.truth]))).digest('hex').slice(0, 16);
  const file = join(cacheDir, `${set}-${config.model}-${settings}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Found[];
  } catch {
    progress(`${config.model}: no cached detections in ${file}; running it over ${images.length} images`);
  }
  const detector = await evalDetector(config);
  const filter = scorelessFilter(config);
  const out: Found[] = [];
  try {
    for (const [i, image] of images.entries()) {
      const result = await detector.detect(await image.load());
      out.push({ id: image.id, truth: image.truth, present: image.present, detections: filterDetections(result.detections, filter) });
      if ((i + 1) % 20 === 0 || i + 1 === images.length) progress(`${config.model} ${i + 1}/${images.length}`);
    }
  } finally {
    detector.dispose();
  }
  await mkdir(cacheDir, { recursive: true });
  await writeFile(file, JSON.stringify(out));
  return out;
}

/**
 * Both models as the detector runs them on a still picture, cached: the first as the defaults run it
 * without a second model (full frame + tiles + the closer look), the second on the full frame alone
 * (then its own closer look at its unsure boxes), or with `secondGrids` also on those tile grids.
 */
export async function stillDetections(
  defaults: DetectorConfig, second: string, images: readonly EvalImage[], cacheDir: string, progress: (line: string) => void,
  secondGrids: number[] = [],
): Promise<{ first: Found[]; second: Found[] }> {
  const first = await cachedDetections({ ...defaults, secondModel: 'none' }, images, cacheDir, progress);
  return { first, second: await cachedDetections(secondModelConfig(defaults, second, secondGrids), images, cacheDir, progress) };
}

/** The second model run alone as the first, on the full frame and `grids` (its cache key: keep the key order). */
export function secondModelConfig(defaults: DetectorConfig, second: string, grids: number[] = []): DetectorConfig {
  return { ...defaults, model: second, secondModel: 'none', tiling: { ...defaults.tiling, grids } };
}

/** A found image as scored: its detections' scores per label. */
export function scoredImage(found: Found, detections: readonly Detection[]): ScoredImage {
  const scores = (label: Detection['label']) => detections.filter((d) => d.label === label).map((d) => d.score);
  return { id: found.id, truth: found.truth, present: found.present, scores: { person: scores('person'), ebike: scores('ebike') } };
}
