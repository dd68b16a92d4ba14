import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { eventsSchema, hostEventsSchema, type ArmWindow } from '../../../../agent/config/sections/camera-pipeline.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { AlertBoard } from '../../../../agent/host/health/alerts.js';
import type { Box, Detection, Frame, Label } from '../../../../agent/edge/types.js';
import { FakeClock } from '../../../fakes/clock.js';
import type { Scheduler } from '../../../../agent/ports/scheduler.js';
import { EventsStage, type EventClips } from '../../../../agent/edge/tracking/events-stage.js';
import type { ClipInfo } from '../../../../agent/link/contract/v1.js';
import type { Polygon } from '../../../../agent/config/sections/regions.js';

/** A scheduler whose windows are decided by the test: `armedHours` are the armed hours (UTC). */
function fakeScheduler(armedHours: (hour: number) => boolean): Scheduler {
  return {
    schedule: () => ({ stop: () => undefined, matches: (date: Date) => armedHours(date.getUTCHours()) }),
    validate: () => true,
  };
}

async function setup(options: { events?: Record<string, unknown>; maxPerMinute?: number; arm?: ArmWindow[]; masks?: Polygon[]; armedHours?: (h: number) => boolean; minScore?: Record<Label, number>; clips?: EventClips } = {}) {
  const clock = new FakeClock(new Date('2026-03-01T12:00:00Z'));
  const link = new MemoryStationLink();
  let n = 0;
  const stage = new EventsStage({
    cameras: [{ id: 'lane', events: eventsSchema.parse({ cooldown: '0s', ...options.events }), privacyMasks: options.masks ?? [], arm: options.arm, minScore: options.minScore }],
    host: hostEventsSchema.parse({ maxPerMinute: options.maxPerMinute ?? 30 }),
    timezone: 'UTC',
    link,
    alerts: new AlertBoard({ link, clock, logger: silentLogger() }),
    clock,
    scheduler: fakeScheduler(options.armedHours ?? (() => true)),
    logger: silentLogger(),
    newId: () => `ev${++n}`,
    clips: options.clips,
  });
  await stage.start();
  const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  const frame = (): Frame => ({ camera: 'lane', capturedAt: clock.now(), mono: clock.monotonicMs(), jpeg, width: 640, height: 480 });
  return { clock, link, stage, frame };
}

function person(x: number, y: number, score: number): Detection {
  return { label: 'person', class: 'person', score, box: [x, y, x + 0.06, y + 0.2] as Box };
}

/** A person walking down the frame from (x, 0.1), 0.1 of the frame per second (half its box's diagonal). */
function walker(x: number, t: number, score: number): Detection {
  return person(x, 0.1 + t * 0.1, score);
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

  it('records every object during the cooldown, alerting only the first of a label', async () => {
    const { clock, link, stage, frame } = await setup({ events: { cooldown: '30s' } });
    for (let t = 0; t < 4; t++) {
      await stage.observe(frame(), [walker(0.1, t, 0.8), walker(0.5, t, 0.8), { ...walker(0.3, t, 0.8), label: 'ebike', class: 'motorcycle' }]);
      await clock.advance(1000);
    }
    const news = link.events.filter((e) => e.type === 'new');
    expect(news.map((e) => [e.label, e.alert, e.quiet])).toEqual(expect.arrayContaining([['person', true, undefined], ['person', false, 'cooldown'], ['ebike', true, undefined]]));
    expect(news).toHaveLength(3);
    expect(stage.summary()).toMatchObject({ recorded: 3, alerting: 2, quiet: { cooldown: 1 }, activeTracks: 3 });
    await clock.advance(6000); // all end; the quiet one keeps its alert: false to its end
    await stage.stop();
    const quietId = news.find((e) => e.quiet === 'cooldown')?.id;
    expect(link.events.filter((e) => e.id === quietId).map((e) => [e.type, e.alert, e.quiet, e.reason]))
      .toEqual([['new', false, 'cooldown', undefined], ['end', false, 'cooldown', 'gone']]);
    expect(link.thumbnails.map((t) => t.eventId).sort()).toEqual(news.map((e) => e.id).sort());

    // After the cooldown, the next person alerts again.
    const later = await setup({ events: { cooldown: '30s' } });
    for (const pause of [40_000, 0]) {
      for (let t = 0; t < 3; t++) {
        await later.stage.observe(later.frame(), [walker(0.2, t, 0.8)]);
        await later.clock.advance(1000);
      }
      await later.clock.advance(pause);
    }
    expect(later.link.events.filter((e) => e.type === 'new').map((e) => e.alert)).toEqual([true, true]);
  });

  it('records objects over the host rate cap with quiet: rate', async () => {
    const { clock, link, stage, frame } = await setup({ maxPerMinute: 2 });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [0.05, 0.3, 0.55, 0.8].map((x) => walker(x, t, 0.9)));
      await clock.advance(1000);
    }
    const news = link.events.filter((e) => e.type === 'new');
    expect(news.map((e) => [e.alert, e.quiet])).toEqual([[true, undefined], [true, undefined], [false, 'rate'], [false, 'rate']]);
    expect(stage.summary().quiet.rate).toBe(2);
  });

  it('records objects outside the arming window with quiet: disarmed, and alerts inside it', async () => {
    const night = (h: number) => h >= 20 || h < 6;
    const { clock, link, stage, frame } = await setup({ arm: [{ labels: ['person'], when: '* 20-23,0-5 * * *' }], armedHours: night });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [walker(0.1, t, 0.9)]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => [e.type, e.alert, e.quiet])).toEqual([['new', false, 'disarmed']]); // noon
    expect(stage.summary().quiet.disarmed).toBe(1);
    clock.jumpWall(9 * 3_600_000); // 21:00
    await clock.advance(10_000); // the first object ends
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [walker(0.5, t, 0.9)]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => [e.type, e.alert, e.quiet, e.reason])).toEqual([
      ['new', false, 'disarmed', undefined], ['end', false, 'disarmed', 'gone'], ['new', true, undefined, undefined],
    ]);
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
  it('sends an alerting event\'s whole picture: masked, at most 1280 px, with the box of its frame; none for a quiet event', async () => {
    const { clock, link, stage } = await setup({ masks: [[[0, 0], [1, 0], [1, 0.5], [0, 0.5]]], arm: [{ labels: ['ebike'], when: '* 12 * * *' }], armedHours: (h) => h >= 12 && h < 13 });
    const big = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#c0c0c0' } }).jpeg().toBuffer();
    const frame = (): Frame => ({ camera: 'lane', capturedAt: clock.now(), mono: clock.monotonicMs(), jpeg: big, width: 1920, height: 1080 });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [{ label: 'ebike', class: 'motorcycle', score: 0.9, box: [0.1, 0.5, 0.3, 0.9] }]);
      await clock.advance(1000);
    }
    await clock.advance(10_000);
    // Pictures are made off the sweep (sharp works on its own threads): wait for them.
    await expect.poll(() => link.frames.length).toBe(1);
    const sent = link.frames[0]!;
    expect(sent.event).toBe(link.events[0]?.id);
    expect(sent.box).toEqual([0.1, 0.5, 0.3, 0.9]);
    expect([sent.width, sent.height]).toEqual([1280, 720]);
    const { data, info } = await sharp(Buffer.from(sent.jpegBase64, 'base64')).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1280, 720]);
    expect(data[640 + 1280 * 10]).toBeLessThan(10); // top: masked black
    expect(data[640 + 1280 * 700]).toBeGreaterThan(150); // bottom: the scene

    clock.jumpWall(3 * 3_600_000); // 15:00: not armed, so the next object is quiet
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [{ label: 'ebike', class: 'motorcycle', score: 0.9, box: [0.5, 0.5, 0.7, 0.9] }]);
      await clock.advance(1000);
    }
    await clock.advance(10_000);
    await stage.stop();
    expect(link.events.filter((e) => e.type === 'new').map((e) => e.alert)).toEqual([true, false]);
    expect(link.thumbnails).toHaveLength(2);
    expect(link.frames).toHaveLength(1);
  });

  it('raises no event for a static object that scores low, but does for a moving one at the same score', async () => {
    // The thresholds under which the rock (0.41) and the sign post (0.37) were seen on vtest.avi (mb3-centernet's).
    const { clock, link, stage, frame } = await setup({ minScore: { person: 0.35, ebike: 0.25 } });
    const jitter = (t: number) => ((t * 7) % 3) * 0.004; // a few pixels of box noise, as on a rock
    for (let t = 0; t < 30; t++) {
      const rock: Detection = { ...person(0.7 + jitter(t), 0.6, 0.41), box: [0.7 + jitter(t), 0.6, 0.76 + jitter(t), 0.8] };
      const sign: Detection = { ...person(0.3, 0.2 + jitter(t), 0.37 + jitter(t)) };
      const walking = t < 6 ? [walker(0.05, t, 0.41)] : [];
      await stage.observe(frame(), [rock, sign, ...walking]);
      await clock.advance(1000);
    }
    const news = link.events.filter((e) => e.type === 'new');
    expect(news).toHaveLength(1);
    expect(news[0]?.box[0]).toBeCloseTo(0.05);
    // It became an event within 3 s at 1 frame/s.
    expect(Date.parse(news[0]?.ts ?? '') - Date.parse(news[0]?.startedAt ?? '')).toBeLessThanOrEqual(3000);
    expect(stage.summary().activeTracks).toBe(2); // the rock and the sign are still watched
  });

  it('does not let a person who appears beside a doubtful still object lend it their movement', async () => {
    const { clock, link, stage, frame } = await setup();
    const sign: Detection = { label: 'person', class: 'person', score: 0.38, box: [0.5, 0.5, 0.52, 0.56] };
    for (let t = 0; t < 10; t++) {
      await stage.observe(frame(), [sign]);
      await clock.advance(1000);
    }
    // The sign is missed just as a person steps out right beside it (within one of its diagonals), then walks off.
    for (let t = 0; t < 4; t++) {
      const x = 0.53 + t * 0.08;
      await stage.observe(frame(), [{ label: 'person', class: 'person', score: 0.7, box: [x, 0.4, x + 0.06, 0.6] }, ...(t === 0 ? [] : [sign])]);
      await clock.advance(1000);
    }
    const news = link.events.filter((e) => e.type === 'new');
    expect(news).toHaveLength(1);
    expect(news[0]?.box[0]).toBeGreaterThanOrEqual(0.53); // the walker's own event
    expect(Date.parse(news[0]?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse('2026-03-01T12:00:10Z')); // not the sign's track
  });

  it('does not let a person seen once hand their track to a cone beside them, a box a third of theirs', async () => {
    // As on vtest.avi at 11-12 s: a man found on one frame only; on the next, 0.7 of his box's diagonal
    // away, a cone the model half-believes is a person. Continued by the cone, his track would have two
    // hits, a median of 0.62 and his movement: an event showing a cone.
    // (Sure at 0.81, the man is recorded on that one frame: `sureHits`; the test with it off is below.)
    for (const sureHits of [1, 2]) {
      const { clock, link, stage, frame } = await setup({ events: { sureHits } });
      const cone: Detection = { label: 'person', class: 'person', score: 0.43, box: [0.565, 0.309, 0.593, 0.352] };
      await stage.observe(frame(), [{ label: 'person', class: 'person', score: 0.81, box: [0.597, 0.357, 0.633, 0.493] }]);
      await clock.advance(1000);
      for (let t = 0; t < 8; t++) {
        await stage.observe(frame(), [cone]);
        await clock.advance(1000);
      }
      // Only the man's own event, if any: the cone's box never reaches the record.
      expect(link.events.map((e) => [e.type, e.box[0]])).toEqual(sureHits === 1 ? [['new', 0.597], ['end', 0.597]] : []);
      await stage.stop();
    }
  });

  it('records a sure object on the one frame it is seen on, and a doubtful one only once seen again', async () => {
    // At 1 frame/s someone running or riding past may be in one frame only (sureHits); an unsure box must wait (minHits).
    const { clock, link, stage, frame } = await setup();
    await stage.observe(frame(), [person(0.2, 0.5, 0.75), person(0.6, 0.5, 0.5)]);
    expect(link.events.filter((e) => e.type === 'new').map((e) => e.score)).toEqual([0.75]);
    await clock.advance(1000);
    await stage.observe(frame(), [person(0.7, 0.5, 0.5)]);
    expect(link.events.filter((e) => e.type === 'new').map((e) => e.score)).toEqual([0.75, 0.5]);
  });

  it('keeps one event for a person walking up to the camera, whose box more than doubles in a second', async () => {
    const { clock, link, stage, frame } = await setup();
    const at = (box: Box): Detection[] => [{ label: 'person', class: 'person', score: 0.8, box }];
    for (const box of [[0.45, 0.3, 0.5, 0.45], [0.45, 0.3, 0.5, 0.45], [0.44, 0.29, 0.5, 0.46], [0.4, 0.25, 0.52, 0.6], [0.36, 0.2, 0.56, 0.8]] as Box[]) {
      await stage.observe(frame(), at(box));
      await clock.advance(1000);
    }
    expect(link.events.filter((e) => e.type === 'new')).toHaveLength(1);
  });

  it('lets a static object through when its track scores clearly high, and never on one lucky frame', async () => {
    const { clock, link, stage, frame } = await setup({ events: { minHits: 3, sureHits: 3 } });
    const scores = [0.4, 0.9, 0.4, 0.42, 0.95, 0.4, 0.41];
    for (const score of scores) {
      await stage.observe(frame(), [person(0.5, 0.5, score)]);
      await clock.advance(1000);
    }
    expect(link.events).toEqual([]); // median 0.41: two lucky frames do not make a person
    for (let t = 0; t < 8; t++) {
      await stage.observe(frame(), [person(0.5, 0.5, 0.8)]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => e.type)).toEqual(['new']); // now most of its last 10 frames are confident
  });

  it('counts objects beyond the camera flood cap, raises one event_flood alert and clears it when calm', async () => {
    const { clock, link, stage, frame } = await setup({ events: { floodPerMinute: 5, minHits: 1, endAfter: '1s' } });
    // A swaying tree: a fresh confident "person" in a new place every second for 20 s.
    for (let t = 0; t < 20; t++) {
      await stage.observe(frame(), [person((t % 10) * 0.09, t % 2 === 0 ? 0.1 : 0.6, 0.9)]);
      await clock.advance(1500);
    }
    const news = link.events.filter((e) => e.type === 'new');
    const floods = link.health.filter((h) => h.kind === 'event_flood');
    expect(floods.map((h) => [h.state, h.subject])).toEqual([['raised', 'lane']]);
    expect(stage.summary().notPublished['lane']).toBe(20 - news.length);
    expect(news.length).toBeGreaterThanOrEqual(5);
    expect(news.length).toBeLessThan(12);
    await clock.advance(61_000);
    const after = link.health.filter((h) => h.kind === 'event_flood');
    expect(after.map((h) => h.state)).toEqual(['raised', 'cleared']);
    expect(after[1]?.details).toMatchObject({ notPublished: 20 - news.length });
  });

  it('ends open events with reason shutdown and queues their thumbnails when stopped', async () => {
    const { clock, link, stage, frame } = await setup({ events: { thumbnailAfter: '10s' } });
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [walker(0.1, t, 0.9), walker(0.6, t, 0.9)]);
      await clock.advance(1000);
    }
    expect(link.thumbnails).toEqual([]);
    await stage.stop();
    const ends = link.events.filter((e) => e.type === 'end');
    expect(ends.map((e) => [e.reason, e.thumbnail])).toEqual([['shutdown', true], ['shutdown', true]]);
    expect(link.thumbnails.map((t) => t.eventId).sort()).toEqual(ends.map((e) => e.id).sort());
    await stage.observe(frame(), [walker(0.1, 3, 0.9)]);
    expect(link.events.filter((e) => e.type === 'end')).toHaveLength(2); // nothing after stop
  });

  it('sends an end once its clip is made, carrying it; a stop ends at once without waiting for clips', async () => {
    const asked: { event: string; startedAt: Date; lastSeenAt: Date }[] = [];
    let finish: (clip: ClipInfo | undefined) => void = () => undefined;
    let hurried = 0;
    const clips: EventClips = {
      clip: (request) => {
        asked.push(request);
        return new Promise((resolve) => { finish = resolve; });
      },
      hurry: () => { hurried++; finish(undefined); },
    };
    const { clock, link, stage, frame } = await setup({ clips });
    for (let t = 0; t < 4; t++) {
      await stage.observe(frame(), [walker(0.1, t, 0.9)]);
      await clock.advance(1000);
    }
    await clock.advance(6000); // gone: the clip is asked for, the end waits for it
    expect(asked).toHaveLength(1);
    expect(asked[0]?.lastSeenAt.getTime()).toBeGreaterThan(asked[0]?.startedAt.getTime() ?? Infinity);
    expect(link.events.filter((e) => e.type === 'end')).toEqual([]);
    const clip = { bytes: 1234, durationS: 13.2, sha256: 'a'.repeat(64) };
    finish(clip);
    await clock.advance(10);
    expect(link.events.filter((e) => e.type === 'end')).toEqual([expect.objectContaining({ id: 'ev1', reason: 'gone', clip })]);

    // Another object, still waiting for its clip when the agent stops: its end goes out now, without one.
    for (let t = 0; t < 4; t++) {
      await stage.observe(frame(), [walker(0.5, t, 0.9)]);
      await clock.advance(1000);
    }
    await clock.advance(6000);
    expect(asked).toHaveLength(2);
    await stage.stop();
    expect(hurried).toBe(1);
    const second = link.events.filter((e) => e.type === 'end' && e.id === 'ev2');
    expect(second).toHaveLength(1);
    expect(second[0]?.clip).toBeUndefined();
  });

  it('keeps a still open object without looking at it again until its picture changes or a recheck is due', async () => {
    const { clock, link, stage, frame } = await setup();
    const parked = { ...person(0.4, 0.4, 0.9), label: 'ebike' as const, class: 'motorcycle' };
    for (let t = 0; t < 3; t++) {
      await stage.observe(frame(), [parked]);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => e.type)).toEqual(['new']);
    // Its picture unchanged since it was found: not looked for, and open well past endAfter (5 s).
    const since: number[] = [];
    const unchanged = (mono: number) => { since.push(mono); return true; };
    for (let t = 0; t < 8; t++) {
      expect(stage.lookAgain('lane', frame(), unchanged, 0.25)).toEqual([]);
      await stage.observe(frame(), []);
      await clock.advance(1000);
    }
    expect(link.events.map((e) => e.type)).toEqual(['new']);
    expect(stage.summary()).toMatchObject({ activeTracks: 1, stillSkips: 8 });
    expect(new Set(since)).toEqual(new Set([2000])); // compared with the frame where it was last found
    // Its picture changed: looked for again, with the box widened.
    const [looked] = stage.lookAgain('lane', frame(), () => false, 0.25);
    expect(looked?.[0]).toBeLessThan(0.4);
    // 10 s after the last detection a still object is looked for again; not found, it ends.
    await clock.advance(1000);
    expect(stage.lookAgain('lane', frame(), unchanged, 0.25)).toHaveLength(1);
    await clock.advance(6000);
    expect(link.events.filter((e) => e.type === 'end').map((e) => e.reason)).toEqual(['gone']);
  });
});
