/**
 * `npx tsx scripts/eval/ensemble.ts [--set DIR] [--models A,B] [--cache DIR]`
 *
 * Would two models together find more at the same precision than either alone? Runs each model over
 * the dev set's images as `minwang detect` does (full frame + the configured tiles, thresholds left
 * at the curve floor), keeps every image's detections in `--cache` (keyed by the images, the
 * model and the detector settings, so a second run only fuses), then fuses the two per image: boxes
 * of the same label that overlap (IoU ≥ 0.45) become one with a combined score (`mean`, `max` or
 * `prob` = 1 − (1−a)(1−b)); a box only one model found keeps its score times that model's weight.
 * For every fusion and for each model alone, a person and an e-bike threshold are chosen on the
 * tuning half (the lowest reaching precision 0.95 / 0.90, on one fine grid for all), once by counts
 * and once by presence, and scored on the held-out half, as `npm run eval` does. Prints JSON on
 * stdout, progress on stderr. An experiment, not the agent's detector (whose second model on still
 * pictures is tuned by `second-model.ts`).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { iou } from '../../agent/edge/box.js';
import type { Detection, Label } from '../../agent/edge/types.js';
import { cachedDetections, scoredImage, type Found } from './cached.js';
import { defaultEvalConfig } from './events.js';
import { isHoldout, LABELS, selectThreshold, type ScoredImage, type Tally } from './scoring.js';
import { DEFAULT_DEVSET_DIR, EVAL_CACHE, loadDevSet, type EvalImage } from './sets.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    models: { type: 'string', default: 'nanodet,mb3-centernet' },
    cache: { type: 'string', default: join(EVAL_CACHE, 'eval-ensemble') },
  },
});

type Fusion = 'mean' | 'max' | 'prob';
const TARGETS: Record<Label, number> = { person: 0.95, ebike: 0.9 };
const GRID = Array.from({ length: 61 }, (_, i) => Math.round((0.15 + i * 0.0125) * 10_000) / 10_000);
const WEIGHTS: [number, number][] = [[1, 1], [0.8, 0.8], [0.9, 0.6], [0.7, 0.5], [0.5, 0.5]];

const progress = (line: string) => process.stderr.write(`ensemble: ${line}\n`);
const models = values.models.split(',');
if (models.length !== 2) throw new Error(`--models: give two model ids, e.g. nanodet,mb3-centernet (got "${values.models}")`);
const set = await loadDevSet(values.set);
// One after the other: two TensorFlow.js wasm backends initialising at once in one thread fail.
const a = await detections(models[0] ?? '', set.images);
const b = await detections(models[1] ?? '', set.images);

const alone = (found: Found[]) => score(found.map((f) => scoredImage(f, f.detections)));
const runs: Record<string, unknown>[] = [
  { setting: `${models[0]} alone`, ...alone(a) },
  { setting: `${models[1]} alone`, ...alone(b) },
];
const byId = new Map(b.map((f) => [f.id, f]));
for (const fusion of ['mean', 'max', 'prob'] as const) {
  for (const [wa, wb] of WEIGHTS) {
    const images = a.flatMap((fa) => {
      const fb = byId.get(fa.id);
      return fb === undefined ? [] : [scoredImage(fa, fuse(fa.detections, fb.detections, fusion, wa, wb))];
    });
    runs.push({ setting: `${fusion}, weights ${wa}/${wb}`, ...score(images) });
  }
}
process.stdout.write(`${JSON.stringify({ set: set.name, manifestSha256: set.manifestSha256, models, images: a.length, targets: TARGETS, runs }, null, 2)}\n`);

/** One model's detections on every image (full frame + tiles, no second model), cached. */
async function detections(model: string, images: readonly EvalImage[]): Promise<Found[]> {
  return cachedDetections({ ...defaultEvalConfig().detector, model, secondModel: 'none' }, images, values.cache, progress);
}

function score(images: readonly ScoredImage[]): Record<string, unknown> {
  const tune = images.filter((i) => !isHoldout(i.id));
  const holdout = images.filter((i) => isHoldout(i.id));
  const pr = (t: Tally) => ({ precision: round(t.precision), recall: round(t.recall), tp: t.tp, fp: t.fp, fn: t.fn });
  const select = (label: Label, level: 'count' | 'presence') => {
    const s = selectThreshold(tune, holdout, label, TARGETS[label], GRID, level);
    return { threshold: s.threshold, reachedTarget: s.reachedTarget, tune: pr(s.tune), holdout: pr(s.holdout) };
  };
  // `count` as the tuning rule of docs/detection.md; `presence` as the defaults are chosen ("Thresholds by presence").
  return Object.fromEntries(LABELS.map((label) => [label, { count: select(label, 'count'), presence: select(label, 'presence') }]));
}

/** Greedy by score: each box of the first model takes the best-overlapping unused box of the second. */
function fuse(first: readonly Detection[], second: readonly Detection[], fusion: Fusion, weightFirst: number, weightSecond: number): Detection[] {
  const out: Detection[] = [];
  const used = new Set<number>();
  for (const d of [...first].sort((x, y) => y.score - x.score)) {
    let best = -1;
    let bestIou = 0.45;
    second.forEach((e, j) => {
      if (used.has(j) || e.label !== d.label) return;
      const overlap = iou(d.box, e.box);
      if (overlap >= bestIou) [best, bestIou] = [j, overlap];
    });
    const match = second[best];
    if (match === undefined) {
      out.push({ ...d, score: d.score * weightFirst });
      continue;
    }
    used.add(best);
    const combined = fusion === 'mean' ? (d.score + match.score) / 2 : fusion === 'max' ? Math.max(d.score, match.score) : 1 - (1 - d.score) * (1 - match.score);
    out.push({ ...d, score: combined });
  }
  second.forEach((e, j) => {
    if (!used.has(j)) out.push({ ...e, score: e.score * weightSecond });
  });
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
