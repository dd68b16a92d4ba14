/**
 * Pure scoring for `npm run eval`: image level (count-based and presence), precision/recall
 * curves, threshold selection with a held-out half, and event level (visits found, duplicates,
 * false events). No I/O here, so every rule is unit-tested (test/unit/scripts/eval-scoring.test.ts).
 */
import { createHash } from 'node:crypto';
import type { Label } from '../../agent/edge/types.js';

export const LABELS: readonly Label[] = ['person', 'ebike'];

/** One labelled image and the scores of what the detector found there, per label. */
export interface ScoredImage {
  id: string;
  /** Hand-counted objects; undefined when the set only says whether there is any (presence). */
  truth: Record<Label, number | undefined>;
  /** Present at all? Always known. */
  present: Record<Label, boolean>;
  /** Scores of the detections that passed every filter except the score threshold. */
  scores: Record<Label, number[]>;
}

export interface Tally {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export interface LabelScore {
  /** TP = min(found, truth), FP = found beyond truth, FN = truth not found; null when no image has counts. */
  count: (Tally & { images: number }) | null;
  /** Is there at least one? over every image. */
  presence: Tally & { images: number };
}

export function tally(tp: number, fp: number, fn: number): Tally {
  return { tp, fp, fn, precision: ratio(tp, tp + fp, 1), recall: ratio(tp, tp + fn, 1) };
}

/** Image-level scores of one label at one threshold. */
export function scoreLabel(images: readonly ScoredImage[], label: Label, threshold: number): LabelScore {
  let [ctp, cfp, cfn, counted] = [0, 0, 0, 0];
  let [ptp, pfp, pfn] = [0, 0, 0];
  for (const image of images) {
    const found = image.scores[label].filter((s) => s >= threshold).length;
    const truth = image.truth[label];
    if (truth !== undefined) {
      counted++;
      ctp += Math.min(found, truth);
      cfp += Math.max(0, found - truth);
      cfn += Math.max(0, truth - found);
    }
    const present = image.present[label];
    if (present && found > 0) ptp++;
    else if (present) pfn++;
    else if (found > 0) pfp++;
  }
  return { count: counted === 0 ? null : { ...tally(ctp, cfp, cfn), images: counted }, presence: { ...tally(ptp, pfp, pfn), images: images.length } };
}

/** One point of a curve: [threshold, count precision, count recall, presence precision, presence recall]. */
export type CurvePoint = [number, number | null, number | null, number, number];
export const CURVE_COLUMNS = ['threshold', 'countPrecision', 'countRecall', 'presencePrecision', 'presenceRecall'] as const;

export function curve(images: readonly ScoredImage[], label: Label, thresholds: readonly number[]): CurvePoint[] {
  return thresholds.map((threshold) => {
    const { count, presence } = scoreLabel(images, label, threshold);
    return [threshold, count === null ? null : round3(count.precision), count === null ? null : round3(count.recall), round3(presence.precision), round3(presence.recall)];
  });
}

export const DEFAULT_THRESHOLDS: readonly number[] = Array.from({ length: 18 }, (_, i) => round2(0.15 + i * 0.025));

export interface Selection {
  /** Lowest threshold on the grid whose precision on the tuning images reaches the target (finding something). */
  threshold: number;
  /** Whether any threshold reached the target; if not, the one with the best precision is given. */
  reachedTarget: boolean;
  /** Count-based when the set has counts (unless presence was asked for), else presence. */
  tune: Tally;
  holdout: Tally;
}

/**
 * Picks a label's threshold on the tuning half: the lowest (most recall) whose count-based
 * precision reaches `targetPrecision`, and reports the same threshold on the held-out half, so
 * overfitting shows as a gap between the two. Presence is used when the set has no counts, or
 * when `level` asks for it (is anyone there: what decides whether a station hears of a picture).
 */
export function selectThreshold(tune: readonly ScoredImage[], holdout: readonly ScoredImage[], label: Label, targetPrecision: number, thresholds: readonly number[] = DEFAULT_THRESHOLDS, level: 'count' | 'presence' = 'count'): Selection {
  const pick = (s: LabelScore): Tally => strip(level === 'presence' ? s.presence : (s.count ?? s.presence));
  const points = [...thresholds].sort((a, b) => a - b).map((t) => ({ t, tally: pick(scoreLabel(tune, label, t)) }));
  // Finding nothing is precise by convention (0/0), but it is not an answer.
  const answers = points.filter((p) => p.tally.tp > 0 || p.tally.fn === 0);
  const reaching = answers.find((p) => p.tally.precision >= targetPrecision);
  const fallback = answers.length > 0 ? answers.reduce((best, p) => (p.tally.precision > best.tally.precision ? p : best)) : points[0];
  const chosen = reaching ?? fallback;
  if (chosen === undefined) throw new Error('selectThreshold needs at least one threshold');
  return { threshold: chosen.t, reachedTarget: reaching !== undefined, tune: chosen.tally, holdout: pick(scoreLabel(holdout, label, chosen.t)) };
}

/** A stable split by id (sha256), independent of the order and size of the set. */
export function isHoldout(id: string): boolean {
  const first = createHash('sha256').update(id).digest()[0] ?? 0;
  return first % 2 === 1;
}

export interface Visit {
  /** Seconds from the start of the video. */
  start: number;
  end: number;
  label: Label;
}

/** A `new` event: when it was raised (seconds from the start of the video) and its label. */
export interface RaisedEvent {
  t: number;
  label: Label;
  /** The `new` message's score and box (normalised), to find an event on the frame at `t`. */
  score?: number;
  box?: readonly [number, number, number, number];
}

export interface EventScore {
  visits: number;
  found: number;
  duplicates: number;
  falseEvents: number;
  /** Seconds from a visit's start to its first event, for the visits found. */
  latencies: number[];
}

/** How soon after someone comes into view their event must be raised to count as prompt (issue 14's event goal). */
export const PROMPT_S = 3;

/** The found visits whose first event came within `PROMPT_S` of the visit's start. */
export function promptlyFound(s: EventScore): number {
  return s.latencies.filter((l) => l <= PROMPT_S).length;
}

export interface MatchOptions {
  /** An event this long before a visit's start still belongs to it (frame timing). */
  early: number;
  /** An event this long after a visit's end still belongs to it (`minHits` frames of delay). */
  late: number;
}

export const DEFAULT_MATCH: MatchOptions = { early: 1, late: 3 };

/**
 * Events against hand-timed visits. Each event goes to a visit of its label whose (widened) time
 * span holds it, preferring one not yet found, and among those the one that started last before it
 * (the newest person in view). A found visit's further events are duplicates; an event that fits
 * no visit is false.
 */
export function scoreEvents(visits: readonly Visit[], events: readonly RaisedEvent[], options: MatchOptions = DEFAULT_MATCH): EventScore {
  const firstEvent = new Map<number, number>();
  let duplicates = 0;
  let falseEvents = 0;
  for (const event of [...events].sort((a, b) => a.t - b.t)) {
    const candidates = visits
      .map((v, index) => ({ v, index }))
      .filter(({ v }) => v.label === event.label && event.t >= v.start - options.early && event.t <= v.end + options.late);
    if (candidates.length === 0) {
      falseEvents++;
      continue;
    }
    const open = candidates.filter(({ index }) => !firstEvent.has(index));
    if (open.length === 0) {
      duplicates++;
      continue;
    }
    const chosen = open.reduce((best, c) => (c.v.start > best.v.start ? c : best));
    firstEvent.set(chosen.index, event.t);
  }
  const latencies = [...firstEvent.entries()].map(([index, t]) => round2(Math.max(0, t - (visits[index]?.start ?? t))));
  return { visits: visits.length, found: firstEvent.size, duplicates, falseEvents, latencies };
}

/** `scoreEvents` for each label alone (a video's person visits against its person events, and so on). */
export function scoreEventsByLabel(visits: readonly Visit[], events: readonly RaisedEvent[], options: MatchOptions = DEFAULT_MATCH): Record<Label, EventScore> {
  const of = (label: Label) => scoreEvents(visits.filter((v) => v.label === label), events.filter((e) => e.label === label), options);
  return { person: of('person'), ebike: of('ebike') };
}

export function sumEventScores(scores: readonly EventScore[]): EventScore {
  return scores.reduce((sum, s) => ({
    visits: sum.visits + s.visits,
    found: sum.found + s.found,
    duplicates: sum.duplicates + s.duplicates,
    falseEvents: sum.falseEvents + s.falseEvents,
    latencies: [...sum.latencies, ...s.latencies],
  }), { visits: 0, found: 0, duplicates: 0, falseEvents: 0, latencies: [] });
}

function strip(t: Tally & { images?: number }): Tally {
  return { tp: t.tp, fp: t.fp, fn: t.fn, precision: round3(t.precision), recall: round3(t.recall) };
}

function ratio(a: number, b: number, empty: number): number {
  return b === 0 ? empty : a / b;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
