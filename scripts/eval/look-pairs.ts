/**
 * `npx tsx scripts/eval/look-pairs.ts [--set DIR] [--labels FILE]`
 *
 * How well ways of describing an object's look tell the same object from a different one, on the
 * look-alike comparisons of the dev set's videos labelled by hand (`look-alike-labels.json`: pairs
 * from `look-alike.ts`, each judged on its contact sheet "same object" or "different objects"; pairs
 * that could not be judged are left out). Prints one JSON object: per description, the AUC (the
 * chance that a random same pair scores above a random different pair) and, at each threshold, how
 * many same pairs would be refused (a split: a duplicate event) and how many different pairs would be
 * refused (a person who gets their own event instead of continuing another's).
 */
import { parseArgs } from 'node:util';
import { decodeVideoFrames } from '../../agent/field/sim/footage-frames.js';
import { appearanceIn, boxSample, colourBin, pictureOf, similarity, BINS, SAMPLE_H, SAMPLE_W } from '../../agent/edge/tracking/appearance.js';
import type { RgbImage } from '../../agent/edge/imaging/rgb.js';
import type { Box } from '../../agent/edge/types.js';
import { DEFAULT_DEVSET_DIR, loadDevSet } from './sets.js';
import { loadLookLabels } from './look-labels.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    labels: { type: 'string' },
  },
});

const labels = await loadLookLabels(values.labels);
const set = await loadDevSet(values.set);
if (set.manifestSha256 !== labels.manifestSha256) process.stderr.write(`look-pairs: the labels were made on manifest ${labels.manifestSha256.slice(0, 12)}, the set is ${set.manifestSha256?.slice(0, 12) ?? 'unpinned'}\n`);

/** A way of describing a look: `of` a box on a picture, and how alike two are (0-1). */
interface Look<T> {
  of: (picture: RgbImage, box: Box) => T;
  similarity: (a: T, b: T) => number;
}

/** How alike the object in one box on one picture is to the object in another box on another. */
type Compare = (a: RgbImage, aBox: Box, b: RgbImage, bBox: Box) => number;

function compare<T>(look: Look<T>): Compare {
  return (a, aBox, b, bBox) => look.similarity(look.of(a, aBox), look.of(b, bBox));
}

/** The agent's own look (`appearance.ts`), and the alternatives weighed against it. */
const looks: Record<string, Compare> = {
  agent: compare({ of: appearanceIn, similarity }),
  bands3: compare(histogramBands(3, colourBin, BINS, 'min')),
  bands4: compare(histogramBands(4, colourBin, BINS, 'min')),
  bands4Mean: compare(histogramBands(4, colourBin, BINS, 'mean')),
  darkHues2: compare(histogramBands(2, darkHueBin, BINS + 4, 'min')),
  darkHues4: compare(histogramBands(4, darkHueBin, BINS + 4, 'min')),
  layout6: compare(labLayout(6, 'max')),
  layout6Mean: compare(labLayout(6, 'mean')),
  layout4: compare(labLayout(4, 'max')),
  layout8Mean: compare(labLayout(8, 'mean')),
};
const kinds = Object.keys(looks);

/** `n` horizontal bands of the box's middle, each a colour histogram; Bhattacharyya per band, the least alike (or the mean) counting. */
function histogramBands(n: number, bin: (r: number, g: number, b: number) => number, bins: number, combine: 'min' | 'mean'): Look<Float64Array[]> {
  return {
    of(picture, b) {
      const sample = boxSample(picture, b);
      const rows = SAMPLE_H / n;
      return Array.from({ length: n }, (_, band) => {
        const h = new Float64Array(bins);
        const first = band * rows * SAMPLE_W;
        const count = rows * SAMPLE_W;
        for (let p = first; p < first + count; p++) {
          const k = bin(sample[p * 3] ?? 0, sample[p * 3 + 1] ?? 0, sample[p * 3 + 2] ?? 0);
          h[k] = (h[k] ?? 0) + 1 / count;
        }
        return h;
      });
    },
    similarity(a, c) {
      const per = a.map((band, i) => {
        const other = c[i];
        let sum = 0;
        for (let k = 0; k < band.length; k++) sum += Math.sqrt((band[k] ?? 0) * (other?.[k] ?? 0));
        return sum;
      });
      return combine === 'min' ? Math.min(...per) : per.reduce((x, y) => x + y, 0) / per.length;
    },
  };
}

/** The agent's bins, with dark but clearly coloured pixels (navy, maroon) given 4 dark hue bins of their own instead of black. */
function darkHueBin(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max / 255 < 0.2 && max >= 20 && (max - min) / max >= 0.4) {
    let hue: number;
    if (max === r) hue = ((g - b) / (max - min) + 6) % 6;
    else if (max === g) hue = (b - r) / (max - min) + 2;
    else hue = (r - g) / (max - min) + 4;
    return BINS + Math.min(3, Math.floor((hue / 6) * 4));
  }
  return colourBin(r, g, b);
}

/** `n` horizontal stripes, each its mean CIELAB colour; alike = exp(-ΔE / 20) of the most different stripe (or of the mean ΔE). */
function labLayout(n: number, combine: 'max' | 'mean'): Look<[number, number, number][]> {
  return {
    of(picture, b) {
      const sample = boxSample(picture, b);
      const rows = SAMPLE_H / n;
      return Array.from({ length: n }, (_, stripe) => {
        const sum: [number, number, number] = [0, 0, 0];
        const first = stripe * rows * SAMPLE_W;
        const count = rows * SAMPLE_W;
        for (let p = first; p < first + count; p++) {
          const lab = toLab(sample[p * 3] ?? 0, sample[p * 3 + 1] ?? 0, sample[p * 3 + 2] ?? 0);
          for (let c = 0; c < 3; c++) sum[c] = (sum[c] ?? 0) + (lab[c] ?? 0) / count;
        }
        return sum;
      });
    },
    similarity(a, c) {
      const d = a.map((s, i) => Math.hypot(s[0] - (c[i]?.[0] ?? 0), s[1] - (c[i]?.[1] ?? 0), s[2] - (c[i]?.[2] ?? 0)));
      const e = combine === 'max' ? Math.max(...d) : d.reduce((x, y) => x + y, 0) / d.length;
      return Math.exp(-e / 20);
    },
  };
}

function toLab(r8: number, g8: number, b8: number): [number, number, number] {
  const lin = (v: number) => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const r = lin(r8);
  const g = lin(g8);
  const b = lin(b8);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

const scored = new Map(kinds.map((k) => [k, { same: [] as number[], different: [] as number[] }]));
for (const [id, pairs] of Object.entries(labels.videos)) {
  const video = set.videos.find((v) => v.id === id);
  if (video === undefined) throw new Error(`no video ${id} in ${set.name}`);
  process.stderr.write(`look-pairs: ${id}, ${pairs.length} pairs\n`);
  const frames = await decodeVideoFrames(video.path, { fps: 1 });
  const pictures = new Map<number, Promise<RgbImage>>();
  const picture = (mono: number): Promise<RgbImage> => {
    const second = Math.round(mono / 1000);
    const jpeg = frames[second];
    if (jpeg === undefined) throw new Error(`${id} has no second ${second}`);
    const known = pictures.get(second) ?? pictureOf(jpeg);
    pictures.set(second, known);
    return known;
  };
  for (const pair of pairs) {
    const then = await picture(pair.lastMono);
    const now = await picture(pair.mono);
    for (const [kind, alike] of Object.entries(looks)) scored.get(kind)?.[pair.same ? 'same' : 'different'].push(alike(then, pair.lastBox, now, pair.box));
  }
}

const thresholds = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9];
const report = Object.fromEntries(kinds.map((kind) => {
  const { same, different } = scored.get(kind) ?? { same: [], different: [] };
  return [kind, {
    auc: round3(auc(same, different)),
    samePairs: same.length,
    differentPairs: different.length,
    // Refused at each threshold: same pairs (splits) / different pairs (rightly told apart).
    refused: Object.fromEntries(thresholds.map((t) => [t, { same: same.filter((s) => s < t).length, different: different.filter((s) => s < t).length }])),
    // The most different pairs refused while at most 1 and at most 3 same pairs are.
    atMostOneSplit: best(same, different, 1),
    atMostThreeSplits: best(same, different, 3),
  }];
}));
process.stdout.write(`${JSON.stringify({ set: set.name, manifestSha256: set.manifestSha256, labels: labels.manifestSha256, looks: report }, null, 2)}\n`);

function auc(same: number[], different: number[]): number {
  let wins = 0;
  for (const s of same) for (const d of different) wins += s > d ? 1 : s === d ? 0.5 : 0;
  return same.length * different.length === 0 ? 0 : wins / (same.length * different.length);
}

function best(same: number[], different: number[], splits: number): { threshold: number; different: number } {
  const sorted = [...same].sort((a, b) => a - b);
  // Refusing below the (splits+1)-th lowest same score refuses at most `splits` same pairs.
  const threshold = sorted[Math.min(splits, sorted.length - 1)] ?? 0;
  return { threshold: round3(threshold), different: different.filter((d) => d < threshold).length };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
