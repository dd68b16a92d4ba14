/**
 * `npx tsx scripts/eval/rider.ts [--set DIR] [--cache DIR]`
 *
 * Would a weak person box riding a sure two-wheeler be worth reporting as a person? Night riders
 * under elevated cameras and far cyclists are most of the people the default detector still misses
 * on the dev set: both models see the bike, and only a weak person on it. For each rule (two-wheeler
 * score at least `bike`, person score at least `rider`, and the person placed as a rider: centre
 * over the bike, head above its top by `above` of its height, lower body over it), scores person
 * presence on the tuning and held-out halves with the rule's riders added, and counts the images
 * without people (parked bikes, empty streets) where it would raise one. Uses the detections
 * `second-model.ts` caches (both models, as the detector runs them on a still). JSON on stdout.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LABEL_RULES } from '../../agent/config/sections/detector.js';
import { mergeDetections } from '../../agent/edge/detection/nms.js';
import type { Detection } from '../../agent/edge/types.js';
import { stillDetections, type Found } from './cached.js';
import { defaultEvalConfig } from './events.js';
import { isHoldout } from './scoring.js';
import { DEFAULT_DEVSET_DIR, EVAL_CACHE, loadDevSet } from './sets.js';

const defaults = defaultEvalConfig().detector;
const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    cache: { type: 'string', default: join(EVAL_CACHE, 'eval-ensemble') },
  },
});
const progress = (line: string) => process.stderr.write(`rider: ${line}\n`);
const set = await loadDevSet(values.set);
const still = await stillDetections(defaults, defaults.secondModel, set.images, values.cache, progress);
const first = still.first;
const second = new Map(still.second.map((f) => [f.id, f.detections]));
const PERSON = DEFAULT_LABEL_RULES.person.minScore;

interface Rule { bike: number; rider: number; above: number }
const rules: Rule[] = [];
for (const bike of [0.4, 0.5, 0.6, 0.7]) for (const rider of [0.15, 0.2, 0.25, 0.3]) for (const above of [0, 0.2, 0.4]) rules.push({ bike, rider, above });

const images = first.map((f: Found) => ({ f, all: mergeDetections([...f.detections, ...(second.get(f.id) ?? [])]) }));

function isRider(p: Detection, b: Detection, rule: Rule): boolean {
  const [px0, py0, px1, py1] = p.box;
  const [bx0, by0, bx1, by1] = b.box;
  const bh = by1 - by0;
  const cx = (px0 + px1) / 2;
  return cx >= bx0 && cx <= bx1 // centred over the bike
    && py0 <= by0 - rule.above * bh // head above the bike's top
    && py1 >= by0 + 0.3 * bh // lower body over the bike
    && px1 - px0 <= 1.5 * (bx1 - bx0);
}

function score(rule: Rule | undefined) {
  const tally = { tune: { tp: 0, fp: 0, fn: 0 }, holdout: { tp: 0, fp: 0, fn: 0 } };
  const raisedOnNoPerson: string[] = [];
  const gained: string[] = [];
  for (const { f, all } of images) {
    const sure = all.some((d) => d.label === 'person' && d.score >= PERSON);
    const riders = rule === undefined ? false : all.some((p) => p.label === 'person' && p.score >= rule.rider && p.score < PERSON
      && all.some((b) => b.label === 'ebike' && b.score >= rule.bike && isRider(p, b, rule)));
    const found = sure || riders;
    const truth = f.present.person;
    const half = isHoldout(f.id) ? tally.holdout : tally.tune;
    if (found && truth) half.tp++;
    else if (found) half.fp++;
    else if (truth) half.fn++;
    if (riders && !sure && !truth) raisedOnNoPerson.push(f.id);
    if (riders && !sure && truth) gained.push(f.id);
  }
  const pr = (t: { tp: number; fp: number; fn: number }) => ({ precision: round(t.tp / Math.max(1, t.tp + t.fp)), recall: round(t.tp / Math.max(1, t.tp + t.fn)), ...t });
  return { tune: pr(tally.tune), holdout: pr(tally.holdout), gained, raisedOnNoPerson };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

process.stdout.write(`${JSON.stringify({
  set: set.name, manifestSha256: set.manifestSha256, personThreshold: PERSON,
  asBuilt: score(undefined),
  rules: rules.map((rule) => ({ rule, ...score(rule) })),
}, null, 2)}\n`);
