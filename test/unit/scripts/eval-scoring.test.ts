import { describe, expect, it } from 'vitest';
import { curve, isHoldout, promptlyFound, scoreEvents, scoreEventsByLabel, scoreLabel, selectThreshold, type ScoredImage } from '../../../scripts/eval/scoring.js';

function image(id: string, persons: number | undefined, personScores: number[], ebikes = 0, ebikeScores: number[] = []): ScoredImage {
  return {
    id,
    truth: { person: persons, ebike: persons === undefined ? undefined : ebikes },
    present: { person: (persons ?? (personScores.length > 0 ? 1 : 0)) > 0, ebike: ebikes > 0 },
    scores: { person: personScores, ebike: ebikeScores },
  };
}

describe('eval scoring, image level', () => {
  it('counts per image: TP = min(found, truth), excess found are FP, missing are FN', () => {
    const images = [
      image('a', 3, [0.9, 0.8]), // 2 of 3 found
      image('b', 1, [0.9, 0.7, 0.6]), // 1 right, 2 extra
      image('c', 0, [0.4]), // a negative with one false person
      image('d', 2, [0.2, 0.1]), // both below the threshold
    ];
    const { count, presence } = scoreLabel(images, 'person', 0.3);
    expect(count).toMatchObject({ tp: 3, fp: 3, fn: 3, images: 4 });
    expect(count?.precision).toBeCloseTo(0.5);
    expect(count?.recall).toBeCloseTo(0.5);
    // presence: a, b found; c false; d missed
    expect(presence).toMatchObject({ tp: 2, fp: 1, fn: 1, images: 4 });
  });

  it('has no count score when the set only says whether something is there', () => {
    const s = scoreLabel([image('x', undefined, [0.5])], 'person', 0.3);
    expect(s.count).toBeNull();
    expect(s.presence).toMatchObject({ tp: 1, fp: 0, fn: 0 });
  });

  it('draws the curve: recall falls and precision rises as the threshold goes up', () => {
    const images = [image('a', 1, [0.8]), image('b', 1, [0.3]), image('c', 0, [0.25])];
    const points = curve(images, 'person', [0.2, 0.28, 0.5]);
    expect(points).toEqual([
      [0.2, 0.667, 1, 0.667, 1],
      [0.28, 1, 1, 1, 1],
      [0.5, 1, 0.5, 1, 0.5],
    ]);
  });

  it('chooses the lowest threshold reaching the target precision on the tuning half and scores it on the other', () => {
    const tune = [image('a', 1, [0.8]), image('b', 1, [0.35]), image('c', 0, [0.3]), image('d', 0, [0.2])];
    const holdout = [image('e', 1, [0.33]), image('f', 0, [0.45])];
    const s = selectThreshold(tune, holdout, 'person', 0.95, [0.2, 0.25, 0.3, 0.35, 0.4]);
    expect(s).toMatchObject({ threshold: 0.35, reachedTarget: true, tune: { tp: 2, fp: 0, fn: 0 }, holdout: { tp: 0, fp: 1, fn: 1 } });
  });

  it('chooses on presence when asked: a crowd counted short by one box less is no false picture', () => {
    // Image a: 2 people counted, 3 boxes found (one extra by count); b: an empty picture with a weak box.
    const tune = [image('a', 2, [0.8, 0.7, 0.32]), image('b', 0, [0.3])];
    const byCount = selectThreshold(tune, [], 'person', 0.95, [0.3, 0.31, 0.35]);
    const byPresence = selectThreshold(tune, [], 'person', 0.95, [0.3, 0.31, 0.35], 'presence');
    expect(byCount.threshold).toBe(0.35);
    expect(byPresence).toMatchObject({ threshold: 0.31, reachedTarget: true, tune: { tp: 1, fp: 0, fn: 0 } });
  });

  it('says so when no threshold reaches the target, and gives the most precise one', () => {
    const tune = [image('a', 1, [0.5]), image('b', 0, [0.9])];
    const s = selectThreshold(tune, [], 'person', 0.95, [0.3, 0.6, 0.95]);
    expect(s.reachedTarget).toBe(false);
    expect(s.threshold).toBe(0.3); // 0.3 and 0.6 both give 0.5; finding nothing at 0.95 does not count
  });

  it('splits a set in two stable halves by id', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `img-${i}`);
    const held = ids.filter(isHoldout);
    expect(held.length).toBeGreaterThan(150);
    expect(held.length).toBeLessThan(250);
    expect(ids.filter(isHoldout)).toEqual(held);
  });
});

describe('eval scoring, event level', () => {
  const visits = [
    { start: 10, end: 20, label: 'person' as const },
    { start: 15, end: 30, label: 'person' as const },
    { start: 50, end: 60, label: 'ebike' as const },
  ];

  it('finds each visit once, counts further events of a found visit as duplicates and the rest as false', () => {
    const score = scoreEvents(visits, [
      { t: 12, label: 'person' }, // visit 1
      { t: 16, label: 'person' }, // visit 2 (the newest one in view)
      { t: 18, label: 'person' }, // both found: duplicate
      { t: 40, label: 'person' }, // nobody there: false
      { t: 55, label: 'person' }, // wrong label: false
    ]);
    expect(score).toMatchObject({ visits: 3, found: 2, duplicates: 1, falseEvents: 2 });
    expect(score.latencies.sort()).toEqual([1, 2]);
  });

  it('scores each label apart: a two-wheeler event counts only against two-wheeler visits', () => {
    const byLabel = scoreEventsByLabel(visits, [
      { t: 12, label: 'person' },
      { t: 52, label: 'ebike' },
      { t: 53, label: 'ebike' }, // the same visit again: duplicate
      { t: 12, label: 'ebike' }, // no two-wheeler there: false
    ]);
    expect(byLabel.person).toMatchObject({ visits: 2, found: 1, duplicates: 0, falseEvents: 0 });
    expect(byLabel.ebike).toMatchObject({ visits: 1, found: 1, duplicates: 1, falseEvents: 1 });
  });

  it('accepts an event shortly after a visit ends (minHits delay), not long after', () => {
    const one = [{ start: 0, end: 2, label: 'person' as const }];
    expect(scoreEvents(one, [{ t: 4, label: 'person' }]).found).toBe(1);
    expect(scoreEvents(one, [{ t: 9, label: 'person' }])).toMatchObject({ found: 0, falseEvents: 1 });
  });

  it('counts a visit as promptly found only when its first event came within 3 s of its start', () => {
    const long = [{ start: 0, end: 20, label: 'person' as const }, { start: 30, end: 40, label: 'person' as const }];
    const score = scoreEvents(long, [{ t: 3, label: 'person' }, { t: 34, label: 'person' }]);
    expect(score.found).toBe(2);
    expect(promptlyFound(score)).toBe(1);
  });
});
