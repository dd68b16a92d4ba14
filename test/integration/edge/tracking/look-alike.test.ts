import { beforeAll, describe, expect, it } from 'vitest';
import { eventsSchema, hostEventsSchema } from '../../../../agent/config/sections/camera-pipeline.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { EventsStage } from '../../../../agent/edge/tracking/events-stage.js';
import type { Box, Detection, Frame } from '../../../../agent/edge/types.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import { FakeClock } from '../../../fakes/clock.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { footage } from '../../../helpers/footage.js';
import { decodeVideoFrames } from '../../../../agent/field/sim/footage-frames.js';


// Two people on vtest.avi sampled at 1 frame/s (as the eval samples it), where the detector found them: at 21 s one in a light blue jacket walks
// out of view at the left edge; at 23 s another, in a dark coat and jeans, is just left of where she
// was (0.7 of her box's diagonal away: near enough to continue her track by place alone).
const LIGHT_JACKET: Box = [0.011, 0.254, 0.044, 0.355];
const DARK_COAT: Box = [0.047, 0.303, 0.082, 0.427];

// At 1 s a person in a black coat; at 4 s, 0.35 of her box's diagonal away, a man in a red-and-navy
// jacket carrying papers (similarity 0.61: a pair from scripts/eval/look-alike-labels.json, judged
// "different" by eye).
const BLACK_COAT: Box = [0.661, 0.41, 0.698, 0.559];
const RED_NAVY: Box = [0.709, 0.394, 0.754, 0.555];

function seen(box: Box): Detection[] {
  return [{ label: 'person', class: 'person', score: 0.8, box }];
}

async function run(lookAlike: number | undefined, script: { jpeg: Buffer; detections: Detection[] }[]) {
  const clock = new FakeClock(new Date('2026-03-01T12:00:00Z'));
  const link = new MemoryStationLink();
  let n = 0;
  const stage = new EventsStage({
    cameras: [{ id: 'hall', events: eventsSchema.parse(lookAlike === undefined ? {} : { lookAlike }), privacyMasks: [] }],
    host: hostEventsSchema.parse({}),
    timezone: 'UTC',
    link,
    alerts: new AlertBoard({ link, clock, logger: silentLogger() }),
    clock,
    scheduler: { schedule: () => ({ stop: () => undefined, matches: () => true }), validate: () => true },
    logger: silentLogger(),
    newId: () => `ev${++n}`,
  });
  await stage.start();
  for (const step of script) {
    const frame: Frame = { camera: 'hall', capturedAt: clock.now(), mono: clock.monotonicMs(), jpeg: step.jpeg, width: 768, height: 576 };
    await stage.observe(frame, step.detections);
    await clock.advance(1000);
  }
  await clock.advance(10_000);
  await stage.stop();
  return { news: link.events.filter((e) => e.type === 'new').map((e) => e.id), summary: stage.summary() };
}

describe('an object missed for a frame is continued only by a detection that looks like it (real footage)', () => {
  let at1: Buffer;
  let at4: Buffer;
  let at21: Buffer;
  let at23: Buffer;
  beforeAll(async () => {
    const frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 1, maxFrames: 24 });
    [at1, at4, at21, at23] = [frames[1] as Buffer, frames[4] as Buffer, frames[21] as Buffer, frames[23] as Buffer];
  });

  it('tells apart two people in dark clothes whose colours are only partly alike (the default threshold)', async () => {
    const script = [
      ...[0, 1, 2].map(() => ({ jpeg: at1, detections: seen(BLACK_COAT) })),
      { jpeg: at4, detections: [] },
      ...[0, 1].map(() => ({ jpeg: at4, detections: seen(RED_NAVY) })),
    ];
    expect((await run(undefined, script)).news).toEqual(['ev1', 'ev2']);
    // The threshold before the labelled pairs (0.3) let him continue her event.
    expect((await run(0.3, script)).news).toEqual(['ev1']);
  });

  it('gives someone who walks in where another walked out a moment ago their own event', async () => {
    const script = [
      ...[0, 1, 2].map(() => ({ jpeg: at21, detections: seen(LIGHT_JACKET) })),
      { jpeg: at23, detections: [] }, // she is gone: the detector finds nobody
      ...[0, 1, 2].map(() => ({ jpeg: at23, detections: seen(DARK_COAT) })),
    ];
    const withCheck = await run(undefined, script);
    expect(withCheck.news).toEqual(['ev1', 'ev2']);
    expect(withCheck.summary.lookedDifferent).toBeGreaterThanOrEqual(1);
    // Matched by place alone, the second person would have continued the first one's event.
    const byPlace = await run(0, script);
    expect(byPlace.news).toEqual(['ev1']);
  });

  it('keeps one event for a person missed for two frames who looks the same when found again', async () => {
    const script = [
      ...[0, 1, 2].map(() => ({ jpeg: at21, detections: seen(LIGHT_JACKET) })),
      { jpeg: at21, detections: [] },
      { jpeg: at21, detections: [] },
      ...[0, 1].map(() => ({ jpeg: at21, detections: seen(LIGHT_JACKET) })),
    ];
    const { news, summary } = await run(undefined, script);
    expect(news).toEqual(['ev1']);
    expect(summary.lookedDifferent).toBe(0);
  });

  it('decodes each frame once: the look found on a compared frame is the one the next comparison starts from', async () => {
    const once = { jpeg: at21, detections: seen(LIGHT_JACKET) };
    const missed = { jpeg: at21, detections: [] };
    const { news, summary } = await run(undefined, [once, once, once, missed, once, missed, once, once]);
    expect(news).toEqual(['ev1']);
    expect(summary.lookedDifferent).toBe(0);
    // Two comparisons (after each miss): the first decodes the frame before the miss and its own, the second only its own.
    expect(summary.lookComparisons).toBe(2);
    expect(summary.lookDecodes).toBe(3);
  });

  it('matches by place, as before, when a picture cannot be read', async () => {
    const junk = Buffer.from('not a picture');
    const script = [
      ...[0, 1, 2].map(() => ({ jpeg: junk, detections: seen(LIGHT_JACKET) })),
      { jpeg: junk, detections: [] },
      ...[0, 1].map(() => ({ jpeg: junk, detections: seen(DARK_COAT) })),
    ];
    const { news, summary } = await run(undefined, script);
    expect(news).toEqual(['ev1']);
    expect(summary.lookedDifferent).toBe(0);
  });
});
