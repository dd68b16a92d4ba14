/**
 * `npx tsx scripts/eval/second-model.ts [--set DIR] [--second ID] [--cache DIR] [--fusion max|agree] [--second-grids N,...] [--second-unbrightened] [--second-mirrored]`
 *
 * Where should the second model's scores sit on the first model's scale (`calibration` in its
 * manifest)? Runs the first model as the defaults run it without a second model (full frame + tiles
 * + the closer look) and the second model on the full frame alone, both over the dev set's images
 * (cached as `ensemble.ts` caches them), then, for each label and each candidate raw score r, maps the
 * second model's r onto the label's default threshold (piecewise linear through (0,0), (r, threshold),
 * (1,1)), merges the two models' boxes as the detector does (greedy per-label suppression), and
 * scores presence and counts at the default threshold on the tuning and held-out halves. The chosen
 * r is the one with the most presence recall on the tuning half whose presence precision there
 * reaches the target (person 0.95, e-bike 0.90) and whose count precision there is not below the
 * first model's alone (no more false boxes in pictures that do hold the label, which events would
 * pay for); ties go to the higher (stricter) r. Prints JSON on stdout, progress on stderr.
 *
 * `--fusion agree` scores another way of merging (not what the detector does): a box both models
 * found (IoU ≥ 0.45) is raised to 1 − (1 − a)(1 − b) before the suppression, since two models agreeing
 * is stronger evidence than either's score alone.
 *
 * `--second-grids 2` runs the second model on the 2×2 tiles too, as the first model runs (not what the
 * detector does: it runs the second model on the full frame alone), to see what its tiles would add.
 * `--second-unbrightened` also runs the second model on dark pictures as they are (`lowLight` off), its
 * boxes added to those it found on the brightened picture (bright pictures are the same either way).
 * `--second-mirrored` also runs the second model on every picture mirrored left to right, its boxes
 * (mirrored back) added to those it found on the picture as it is: a test-time look from the other side.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_LABEL_RULES } from '../../agent/config/sections/detector.js';
import { calibrate, uncalibrate } from '../../agent/edge/detection/decode.js';
import { mergeDetections } from '../../agent/edge/detection/nms.js';
import { iou } from '../../agent/edge/box.js';
import type { Detection, Label } from '../../agent/edge/types.js';
import { loadInstalledModel } from '../../agent/models/store.js';
import { cachedDetections, scoredImage, secondModelConfig, stillDetections, type Found } from './cached.js';
import { defaultEvalConfig } from './events.js';
import { isHoldout, LABELS, scoreLabel, type ScoredImage, type Tally } from './scoring.js';
import { DEFAULT_DEVSET_DIR, EVAL_CACHE, loadDevSet } from './sets.js';

const defaults = defaultEvalConfig().detector;
const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    second: { type: 'string', default: defaults.secondModel },
    cache: { type: 'string', default: join(EVAL_CACHE, 'eval-ensemble') },
    fusion: { type: 'string', default: 'max' },
    'second-grids': { type: 'string', default: '' },
    'second-unbrightened': { type: 'boolean', default: false },
    'second-mirrored': { type: 'boolean', default: false },
  },
});
const secondGrids = values['second-grids'].split(',').filter((g) => g !== '').map(Number);
if (secondGrids.some((g) => !Number.isInteger(g) || g < 2 || g > 4)) throw new Error(`--second-grids takes tile grids 2-4, e.g. 2 or 2,3, not "${values['second-grids']}"`);
if (values.fusion !== 'max' && values.fusion !== 'agree') throw new Error(`--fusion must be max or agree, not "${values.fusion}"`);
/** Boxes of the two models this close are the same object found by both (`--fusion agree`). */
const AGREE_IOU = 0.45;
const progress = (line: string) => process.stderr.write(`second-model: ${line}\n`);
const TARGETS: Record<Label, number> = { person: 0.95, ebike: 0.9 };
const CANDIDATES = Array.from({ length: 17 }, (_, i) => Math.round((0.1 + i * 0.025) * 1000) / 1000);

const set = await loadDevSet(values.set);
const still = await stillDetections(defaults, values.second, set.images, values.cache, progress, secondGrids);
const { first } = still;
const unbrightened = values['second-unbrightened'] ? await withUnbrightened(still.second) : still.second;
const second = values['second-mirrored'] ? await withMirrored(unbrightened) : unbrightened;
// Back to raw scores: the cache holds them calibrated by the manifest as it was when they were made.
const { labels } = (await loadInstalledModel(values.second)).manifest;
const rawSecond = new Map(second.map((f) => [f.id, f.detections.map((d) => ({ ...d, score: uncalibrate(d.score, calibrationOf(d)) }))]));

const result: Record<string, unknown> = {};
for (const label of LABELS) {
  const threshold = DEFAULT_LABEL_RULES[label].minScore;
  const alone = halves(first.map((f) => scoredImage(f, f.detections)), label, threshold);
  const rows = CANDIDATES.map((raw) => ({ raw, ...halves(fused(label, raw, threshold), label, threshold) }));
  const eligible = rows.filter((r) => r.tune.presence.precision >= TARGETS[label] && r.tune.count.precision >= alone.tune.count.precision);
  const chosen = eligible.reduce<(typeof rows)[number] | undefined>((best, r) => (best === undefined || r.tune.presence.recall >= best.tune.presence.recall ? r : best), undefined);
  result[label] = { threshold, firstAlone: alone, chosen: chosen === undefined ? null : { calibration: [[chosen.raw, threshold]], ...chosen }, candidates: rows };
}
process.stdout.write(`${JSON.stringify({ set: set.name, manifestSha256: set.manifestSha256, first: defaults.model, second: values.second, secondGrids, secondUnbrightened: values['second-unbrightened'], secondMirrored: values['second-mirrored'], fusion: values.fusion, targets: TARGETS, images: first.length, ...result }, null, 2)}\n`);

/** The second model's boxes on each picture plus those it finds on the picture not brightened. */
async function withUnbrightened(found: Found[]): Promise<Found[]> {
  const own = secondModelConfig(defaults, values.second, secondGrids);
  const config = { ...own, lowLight: { ...own.lowLight, method: 'off' as const } };
  const plain = new Map((await cachedDetections(config, set.images, values.cache, progress)).map((f) => [f.id, f.detections]));
  return found.map((f) => ({ ...f, detections: [...f.detections, ...plain.get(f.id) ?? []] }));
}

/** The second model's boxes on each picture plus those it finds on the picture mirrored (mirrored back). */
async function withMirrored(found: Found[]): Promise<Found[]> {
  const mirrored = set.images.map((i) => ({ ...i, load: async () => sharp(await i.load()).rotate().flop().jpeg({ quality: 95 }).toBuffer() }));
  // Same settings and images as the unmirrored run, so a cache of their own.
  const seen = await cachedDetections(secondModelConfig(defaults, values.second, secondGrids), mirrored, join(values.cache, 'mirrored'), progress);
  const back = new Map(seen.map((f) => [f.id, f.detections.map((d): Detection => ({ ...d, box: [1 - d.box[2], d.box[1], 1 - d.box[0], d.box[3]] }))]));
  return found.map((f) => ({ ...f, detections: [...f.detections, ...back.get(f.id) ?? []] }));
}

function calibrationOf(d: Detection) {
  return Object.values(labels).find((e) => e.class === d.class)?.calibration;
}

/** Every image with the first model's boxes and the second's, this label's calibrated so that `raw` → `threshold`. */
function fused(label: Label, raw: number, threshold: number): ScoredImage[] {
  const points: [number, number][] = [[raw, threshold]];
  return first.map((f: Found) => {
    const extra = (rawSecond.get(f.id) ?? []).filter((d) => d.label === label).map((d) => ({ ...d, score: calibrate(d.score, points) }));
    const own = f.detections.filter((d) => d.label === label);
    return scoredImage(f, mergeDetections(values.fusion === 'agree' ? agreed(own, extra) : [...own, ...extra]));
  });
}

/** Each model's boxes, those the other model also found raised to 1 − (1 − a)(1 − b) (its best match there). */
function agreed(a: readonly Detection[], b: readonly Detection[]): Detection[] {
  const boost = (d: Detection, others: readonly Detection[]) => {
    const match = others.reduce((best, o) => (iou(o.box, d.box) >= AGREE_IOU ? Math.max(best, o.score) : best), 0);
    return match === 0 ? d : { ...d, score: 1 - (1 - d.score) * (1 - match) };
  };
  return [...a.map((d) => boost(d, b)), ...b.map((d) => boost(d, a))];
}

function halves(images: readonly ScoredImage[], label: Label, threshold: number) {
  const at = (subset: readonly ScoredImage[]) => {
    const s = scoreLabel(subset, label, threshold);
    return { presence: brief(s.presence), count: brief(s.count ?? s.presence) };
  };
  return { tune: at(images.filter((i) => !isHoldout(i.id))), holdout: at(images.filter((i) => isHoldout(i.id))) };
}

function brief(t: Tally) {
  return { precision: Math.round(t.precision * 1000) / 1000, recall: Math.round(t.recall * 1000) / 1000, tp: t.tp, fp: t.fp, fn: t.fn };
}
