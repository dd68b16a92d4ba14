import type { Label } from '../types.js';
import type { Track } from './object-tracker.js';

/** What a track must show before it becomes an event. */
export interface ConfidenceRules {
  /** Per label: the median score a moving object needs (the label's detection threshold). */
  minScore: Record<Label, number>;
  /** Per label: the median score an object that has not moved since it appeared needs. */
  stillScore: Record<Label, number>;
  /** Centre travel, in the first box's diagonals, that makes an object moving. */
  minMove: number;
}

export interface Verdict {
  confident: boolean;
  median: number;
  moving: boolean;
}

/**
 * Decides on the track, not on one frame: the median of its latest scores must reach the label's
 * threshold, and an object that has stayed where it appeared (a rock, a pole, a sign post that the
 * model half-believes is a person) must reach the clearly higher still score. Movement is measured
 * in the object's own size, so a far person (a small box) counts as moving as soon as a near one.
 * Unlike a per-frame score, the median ignores one lucky frame; unlike Frigate's, missed frames do
 * not count as zeros, because at 1 frame/s a far object is missed often without being doubtful.
 */
export function judge(track: Pick<Track, 'label' | 'scores' | 'maxMove'>, rules: ConfidenceRules): Verdict {
  const m = median(track.scores);
  const moving = track.maxMove >= rules.minMove;
  const needed = moving ? rules.minScore[track.label] : Math.max(rules.minScore[track.label], rules.stillScore[track.label]);
  return { confident: m >= needed, median: m, moving };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
