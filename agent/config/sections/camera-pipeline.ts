import { validate as validCron } from 'node-cron';
import { z } from 'zod';
import { duration } from '../duration.js';

/**
 * Per-camera settings of the cameras → events pipeline: request deadline, motion gate, fault
 * detection, event tracking and arming windows. Every field has a default, so a camera with only
 * `id` and a source works as is.
 */

export const motionSchema = z.strictObject({
  width: z.number().int().min(64).max(640).default(160)
    .describe('width in pixels of the greyscale image motion is computed on'),
  threshold: z.number().int().min(1).max(255).default(25)
    .describe('luma change (0-255) that makes one pixel count as changed'),
  minArea: z.number().min(0).max(1).default(0.002)
    .describe('smallest moving area, as a fraction of the frame, that counts as motion'),
  backgroundRate: z.number().min(0.001).max(1).default(0.05)
    .describe('how fast the background follows the scene (fraction per frame)'),
  lightingChange: z.number().min(0.05).max(1).default(0.5)
    .describe('fraction of the frame changing at once that is taken as a lighting change, not motion'),
  scanEvery: duration({ min: 0, max: 3_600_000 }).default(300_000)
    .describe('how often the whole frame (full frame and tiles) is also searched when nothing moves, so a person standing still is found; the first frame and every lighting change are always searched whole; 0 turns the periodic search off'),
}).default({ width: 160, threshold: 25, minArea: 0.002, backgroundRate: 0.05, lightingChange: 0.5, scanEvery: 300_000 });

export const faultsSchema = z.strictObject({
  offlineAfter: z.number().int().min(1).max(100).default(3)
    .describe('sampling intervals without a frame before the camera counts as offline'),
  debounce: duration({ min: 0, max: 600_000 }).default(5000)
    .describe('how long a new state must hold before it is published (both ways)'),
  window: duration({ min: 0, max: 3_600_000 }).default(20_000)
    .describe('how long a picture fault (black, covered, blurred, moved) must last'),
  frozenAfter: duration({ min: 1000, max: 3_600_000 }).default(30_000)
    .describe('identical pictures for this long mean the picture is frozen'),
  blackLevel: z.number().min(0).max(255).default(24)
    .describe('mean luma (0-255) below which a uniform picture is black rather than covered'),
  uniformity: z.number().min(0).max(64).default(6)
    .describe('luma standard deviation below which a picture is near-uniform (covered lens, dead IR)'),
  blurRatio: z.number().min(0).max(1).default(0.3)
    .describe('sharpness below this fraction of the reference means blurred; 0 turns the check off'),
  movedCorrelation: z.number().min(0).max(1).default(0.4)
    .describe('scene correlation with the reference below this means the view moved; 0 turns the check off'),
}).default({
  offlineAfter: 3, debounce: 5000, window: 20_000, frozenAfter: 30_000, blackLevel: 24, uniformity: 6, blurRatio: 0.3, movedCorrelation: 0.4,
});

const STILL_SCORE = { person: 0.6, ebike: 0.5 };
/** Chosen on the dev videos' labelled look-alike pairs (scripts/eval/look-pairs.ts): see docs/cameras.md. */
const LOOK_ALIKE = 0.7;

export const eventsSchema = z.strictObject({
  minHits: z.number().int().min(1).max(20).default(2)
    .describe('frames an object must be seen in before its `new` event'),
  sureHits: z.number().int().min(1).max(20).default(1)
    .describe('frames an object sure enough to be believed standing still (median score at least its stillScore) must be seen in before its `new`, when fewer than minHits: at 1 frame/s someone running or riding past may be in one frame only'),
  minMove: z.number().min(0).max(10).default(0.4)
    .describe('how far an object must move from where it appeared (centre distance, in its first box\'s diagonals) to count as moving'),
  stillScore: z.strictObject({
    person: z.number().min(0).max(1).default(STILL_SCORE.person).describe('for person'),
    ebike: z.number().min(0).max(1).default(STILL_SCORE.ebike).describe('for ebike'),
  }).default(STILL_SCORE)
    .describe('median score (last 10 frames) an object that has not moved since it appeared needs for its `new`; a moving one needs the label\'s minScore'),
  endAfter: duration({ min: 500, max: 600_000 }).default(5000)
    .describe('an object not seen for this long ends its event'),
  updateEvery: duration({ min: 0, max: 600_000 }).default(5000)
    .describe('least time between two `update` messages of one event'),
  minScoreGain: z.number().min(0).max(1).default(0.05)
    .describe('score improvement that is worth an `update`'),
  thumbnailAfter: duration({ min: 0, max: 600_000 }).default(3000)
    .describe('the one thumbnail is sent this long after `new` (best frame so far), or at `end` if sooner'),
  cooldown: duration({ min: 0, max: 3_600_000 }).default(30_000)
    .describe('after an alerting `new`, further new objects of the same label on this camera are recorded with `alert: false` this long'),
  floodPerMinute: z.number().int().min(1).max(10_000).default(120)
    .describe('flood guard: most new objects per minute this camera records; beyond it objects are counted, not published, and one `event_flood` health alert says how many'),
  iou: z.number().min(0.01).max(1).default(0.3)
    .describe('box overlap (IoU) for a detection to continue a tracked object'),
  lookAlike: z.number().min(0).max(1).default(LOOK_ALIKE)
    .describe('how alike in colour (0-1, upper and lower half of the box) a detection must look to continue an object the detector missed on the frame before; a less alike one is a new object (someone walking in where another walked out); 0 turns the check off'),
}).default({
  minHits: 2, sureHits: 1, minMove: 0.4, stillScore: STILL_SCORE, endAfter: 5000, updateEvery: 5000, minScoreGain: 0.05, thumbnailAfter: 3000,
  cooldown: 30_000, floodPerMinute: 120, iou: 0.3, lookAlike: LOOK_ALIKE,
});

const CRON_FIELDS = 5;

export const armWindowSchema = z.strictObject({
  labels: z.array(z.enum(['person', 'ebike'])).min(1).default(['person', 'ebike'])
    .describe('labels this window arms'),
  when: z.string().refine(
    (text) => text.trim().split(/\s+/).length === CRON_FIELDS && validCron(text),
    'must be a valid 5-field cron expression (minute hour day month weekday), e.g. "* 20-23,0-5 * * *"',
  )
    .describe('cron expression (5 fields) in host.timezone; the labels are armed during every minute it matches: "* 20-23,0-5 * * *" = 20:00 to 05:59'),
});

export const cameraPipelineFields = {
  timeout: duration({ min: 100, max: 60_000 }).default(3000)
    .describe('deadline of one snapshot request, body included; for rtsp, the socket timeout (the stream counts as stalled after max(timeout, 3 intervals) + 2s without a frame)'),
  motion: motionSchema.describe('the motion gate: only frames with motion (or a tracked object) go to the detector'),
  faults: faultsSchema.describe('camera faults, published on camera/<id>/status and raised/cleared on health'),
  events: eventsSchema.describe('tracked-object events on the events topic'),
  arm: z.array(armWindowSchema).max(16).optional()
    .describe('arming windows; absent means always armed; a label in no window is recorded with `alert: false` (`quiet: disarmed`)')
    .meta({ example: [{ labels: ['ebike'], when: '* 20-23,0-5 * * *' }, { labels: ['person'], when: '* * * * *' }] }),
};

/** Host-wide limits of the event stream. */
export const hostEventsSchema = z.strictObject({
  maxPerMinute: z.number().int().min(1).max(10_000).default(30)
    .describe('most alerting `new` events per minute for the whole host; the rest are recorded with `alert: false`, `quiet: "rate"`'),
}).default({ maxPerMinute: 30 }).describe('host-wide limits of the event stream');

export type MotionConfig = z.output<typeof motionSchema>;
export type FaultsConfig = z.output<typeof faultsSchema>;
export type EventsConfig = z.output<typeof eventsSchema>;
export type ArmWindow = z.output<typeof armWindowSchema>;
export type HostEventsConfig = z.output<typeof hostEventsSchema>;
