import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { eventsSchema, hostEventsSchema, type ArmWindow } from '../../../agent/config/sections/camera-pipeline.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';
import { silentLogger } from '../../../agent/core/logger.js';
import type { Box, Detection, Frame } from '../../../agent/pipeline/types.js';
import { FakeClock } from '../../fakes/clock.js';
import type { Scheduler } from '../../../agent/ports/scheduler.js';
import { EventsStage } from '../../../agent/tracking/events-stage.js';
import type { Polygon } from '../../../agent/config/sections/regions.js';

/** A scheduler whose windows are decided by the test: `armedHours` are the armed hours (UTC). */
function fakeScheduler(armedHours: (hour: number) => boolean): Scheduler {
  return {
    schedule: () => ({ stop: () => undefined, matches: (date: Date) => armedHours(date.getUTCHours()) }),
    validate: () => true,
  };
}

async function setup(options: { events?: Record<string, unknown>; maxPerMinute?: number; arm?: ArmWindow[]; masks?: Polygon[]; armedHours?: (h: number) => boolean } = {}) {
  const clock = new FakeClock(new Date('2026-03-01T12:00:00Z'));
  const link = new MemoryStationLink();
  let n = 0;
  const stage = new EventsStage({
    cameras: [{ id: 'lane', events: eventsSchema.parse({ cooldown: '0s', ...options.events }), privacyMasks: options.masks ?? [], arm: options.arm }],
    host: hostEventsSchema.parse({ maxPerMinute: options.maxPerMinute ?? 30 }),
    timezone: 'UTC',
    link,
    clock,
    scheduler: fakeScheduler(options.armedHours ?? (() => true)),
    logger: silentLogger(),
    newId: () => `ev${++n}`,
  });
  await stage.start();
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  const frame = (): Frame => ({ camera: 'lane', capturedAt: clock.now(), mono: clock.monotonicMs(), jpeg, width: 640, height: 480 });
  return { clock, link, stage, frame };
}

function person(x: number, y: number, score: number): Detection {
  return { label: 'person', class: 'person', score, box: [x, y, x + 0.06, y + 0.2] as Box };
}

/** Two people walking in opposite directions at 1 frame/s, with jittery scores and missed frames. */
function walkers(t: number): Detection[] {
  const out: Detection[] = [];
  if (t < 14 && t % 5 !== 3) out.push(person(0.05 + t * 0.06, 0.4, 0.55 + ((t * 37) % 10) / 30));
  if (t >= 3 && t < 16) out.push(person(0.9 - (t - 3) * 0.05, 0.6, 0.6 + ((t * 53) % 10) / 40));
  return out;
}

describe('tracked-object events', () => {
  it('gives each walking person one new, a few updates and one end, with one thumbnail each', async () => {
    const { clock, link, stage, frame } = await setup();
    for (let t = 0; t < 16; t++) {
      await stage.observe(frame(), walkers(t));
      await clock.advance(1000);
    }
    await clock.advance(6000);
    await stage.stop();
    const ids = [...new Set(link.events.map((e) => e.id))];
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const types = link.events.filter((e) => e.id === id).map((e) => e.type);
      expect(types[0]).toBe('new');
      expect(types.at(-1)).toBe('end');
      expect(types.filter((t) => t === 'new')).toHaveLength(1);
      expect(types.filter((t) => t === 'end')).toHaveLength(1);
      expect(types.length).toBeLessThan(8); // not one message per frame
      expect(link.thumbnails.filter((th) => th.eventId === id)).toHaveLength(1);
    }
    const end = link.events.find((e) => e.type === 'end');
    expect(end).toMatchObject({ camera: 'lane', label: 'person', thumbnail: true });
    expect(Date.parse(end?.endedAt ?? '')).toBeGreaterThan(Date.parse(end?.startedAt ?? ''));
  });

  it('rate-limits updates and sends none when nothing improves', async () => {
    const { clock, link, stage, frame } = await setup({ events: { updateEvery: '10m' } });
    for (let t = 0; t < 10; t++) {
      await stage.observe(frame(), [person(0.1 + t * 0.01, 0.3, 0.5 + t * 0.05)]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => e.type)).toEqual(['new']);
  });

  it('silences new objects during the cooldown and over the host rate cap, but keeps tracking them', async () => {
    const { clock, link, stage, frame } = await setup({ events: { cooldown: '30s' } });
    for (let t = 0; t < 4; t++) {
      await stage.observe(frame(), [person(0.1, 0.1, 0.8), person(0.6, 0.5, 0.8)]);
      await clock.advance(1000);
    }
    expect(link.events.filter((e) => e.type === 'new')).toHaveLength(1);
    expect(stage.summary()).toMatchObject({ published: 1, silenced: { cooldown: 1 }, activeTracks: 2 });

    const capped = await setup({ maxPerMinute: 2 });
    for (let t = 0; t < 3; t++) {
      await capped.stage.observe(capped.frame(), [0.05, 0.3, 0.55, 0.8].map((x) => person(x, 0.1, 0.9)));
      await capped.clock.advance(1000);
    }
    expect(capped.link.events.filter((e) => e.type === 'new')).toHaveLength(2);
    expect(capped.stage.summary().silenced.rate).toBe(2);
  });

  it('alerts only inside the arming window of the label', async () => {
    const night = (h: number) => h >= 20 || h < 6;
    const { clock, link, stage, frame } = await setup({ arm: [{ labels: ['person'], when: '* 20-23,0-5 * * *' }], armedHours: night });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [person(0.1, 0.1, 0.9)]);
      await clock.advance(1000);
    }
    expect(link.events).toEqual([]); // noon: disarmed
    expect(stage.summary().silenced.disarmed).toBe(1);
    clock.jumpWall(9 * 3_600_000); // 21:00
    await clock.advance(10_000); // the first object ends
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [person(0.5, 0.5, 0.9)]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => e.type)).toEqual(['new']);
  });

  it('crops the thumbnail around the object, burns the privacy masks in and stays within 640 px', async () => {
    const { clock, link, stage } = await setup({ masks: [[[0, 0], [1, 0], [1, 0.5], [0, 0.5]]] });
    const big = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#c0c0c0' } }).jpeg().toBuffer();
    const frame = (): Frame => ({ camera: 'lane', capturedAt: clock.now(), mono: clock.monotonicMs(), jpeg: big, width: 1920, height: 1080 });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [{ label: 'ebike', class: 'motorcycle', score: 0.9, box: [0.1, 0.1, 0.9, 0.9] }]);
      await clock.advance(1000);
    }
    await clock.advance(10_000);
    await stage.stop();
    expect(link.thumbnails).toHaveLength(1);
    const thumb = link.thumbnails[0]?.jpeg as Buffer;
    const meta = await sharp(thumb).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(640);
    const { data, info } = await sharp(thumb).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(data[Math.floor(info.width / 2) + info.width * 2]).toBeLessThan(10); // top: masked black
    expect(data[Math.floor(info.width / 2) + info.width * (info.height - 3)]).toBeGreaterThan(150); // bottom: the scene
  });
});
