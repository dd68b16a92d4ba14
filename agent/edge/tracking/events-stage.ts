// One file: an object's event lifecycle (tentative, new, updates, thumbnail, end, shutdown) and the alert
// decision on it share one per-track state; the tracker, arming, flood guard and thumbnails live beside it.
import { randomBytes } from 'node:crypto';
import type { EventsConfig, ArmWindow, HostEventsConfig } from '../../config/sections/camera-pipeline.js';
import { DEFAULT_LABEL_RULES } from '../../config/sections/detector.js';
import type { Polygon } from '../../config/sections/regions.js';
import type { HealthReporter, StationLink } from '../../link/contract/link.js';
import type { ClipInfo, EventBody, EventEndReason, EventQuiet } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Scheduler } from '../../ports/scheduler.js';
import type { Box, Detection, Frame, Label } from '../types.js';
import { expand, sizeRatio } from '../box.js';
import { ArmingSchedule, RateCap } from './arming.js';
import { judge, type ConfidenceRules } from './confidence.js';
import { FloodGuard } from './flood.js';
import { ObjectTracker, type Pairing, type Track } from './object-tracker.js';
import { appearanceIn, pictureOf, similarity, type Appearance } from './appearance.js';
import type { RgbImage } from '../imaging/rgb.js';
import { makeFrame, makeThumbnail } from './thumbnail.js';
import { definedProps } from '../../core/defined-props.js';

export interface EventsCamera {
  id: string;
  events: EventsConfig;
  privacyMasks: readonly Polygon[];
  arm?: readonly ArmWindow[] | undefined;
  /** Per label, the detection threshold a moving object's median score must reach (default: the built-in ones). */
  minScore?: Readonly<Record<Label, number>> | undefined;
}

export interface EventsStageOptions {
  cameras: readonly EventsCamera[];
  host: HostEventsConfig;
  timezone: string;
  link: StationLink;
  /** Where the flood guard raises and clears `event_flood`: the host's alert board. */
  alerts: HealthReporter;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  /** Names of the zones a box is in (the detection filter's zones); none by default. */
  zonesOf?: (camera: string, box: Box) => string[];
  newId?: (camera: string) => string;
  sweepMs?: number;
  /** Makes each ended event's clip: its `end` is sent once the clip is made (or could not be), carrying `clip`. */
  clips?: EventClips | undefined;
}

/** The clip maker as the events stage sees it (wired by the composition root). */
export interface EventClips {
  clip(request: { camera: string; event: string; startedAt: Date; lastSeenAt: Date; alert: boolean }): Promise<ClipInfo | undefined>;
  /** The agent stops: clips still waiting are given up so every `end` goes out now. */
  hurry(): void;
}

interface EventState {
  /** tentative: not yet an event; open: in the record; held: counted, not published (a flood). */
  status: 'tentative' | 'open' | 'held';
  alert: boolean;
  quiet: EventQuiet | undefined;
  newMono: number;
  lastUpdateMono: number;
  publishedScore: number;
  publishedZones: string;
  thumbnail: boolean;
}

interface CameraEvents {
  camera: EventsCamera;
  tracker: ObjectTracker;
  arming: ArmingSchedule;
  flood: FloodGuard;
  confidence: ConfidenceRules;
  states: Map<string, EventState>;
  /** When the last alerting `new` of each label was sent: the cooldown runs from there. */
  lastAlert: Map<Label, number>;
  /** The last frame the detector looked at on this camera. */
  lastObservedMono: number;
  /** What each track looked like on its `lastFrame` (worked out only when needed). */
  looks: WeakMap<Track, { frame: Frame; look: Appearance }>;
}

export interface EventsSummary {
  /** Events opened (`new` sent), alerting or not. */
  recorded: number;
  alerting: number;
  quiet: Record<EventQuiet, number>;
  /** Objects counted but not published during floods, per camera. */
  notPublished: Record<string, number>;
  activeTracks: number;
  /** Times an open event's object was not looked for on a frame because nothing changed over it. */
  stillSkips: number;
  /** Times a detection near an object missed on the frame before looked too different to continue it (it was matched elsewhere or became a new object). */
  lookedDifferent: number;
  /** Look-alike comparisons made, and pictures decoded for them (the check's cost). */
  lookComparisons: number;
  lookDecodes: number;
}

/**
 * How long an unchanged open event's object goes without the detector looking at it again (see
 * `lookAgain`): the longest it is kept on the motion detector's word alone.
 */
const STILL_RECHECK_MS = 10_000;

/** How much bigger or smaller (box diagonal) a detection may be to continue, without overlapping it, an object not yet in the record or seen fewer than `minHits` times. */
const MAX_JUMP_SIZE_RATIO = 2;

/**
 * Turns filtered detections into tracked-object events: one `new` once a track is confident
 * (seen `minHits` times, its median score high enough, higher still if it has not moved; seen
 * `sureHits` times if its score reaches that higher one),
 * `update`s when its score improves or it changes zone (rate-limited), one `end` when it has not
 * been seen for `endAfter` (`reason: gone`) or the agent stops (`reason: shutdown`); one thumbnail
 * per event. Every confident object is in the record: arming windows, the per-camera cooldown and
 * the host rate cap only decide whether it alerts (`alert`, `quiet`). Only a flood (more than
 * `floodPerMinute` new objects on one camera) holds objects back, counted and reported as health.
 */
export class EventsStage implements Module {
  readonly name = 'events';
  private readonly cameras = new Map<string, CameraEvents>();
  private readonly rateCap: RateCap;
  private readonly counts = { recorded: 0, alerting: 0, quiet: { cooldown: 0, rate: 0, disarmed: 0 }, stillSkips: 0, lookedDifferent: 0, lookComparisons: 0, lookDecodes: 0 };
  private timer: TimerHandle | undefined;
  private readonly sweeps = new Set<Promise<void>>();
  /** `end`s waiting for their clip. */
  private readonly clipEnds = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: EventsStageOptions) {
    this.rateCap = new RateCap(options.host.maxPerMinute, options.clock);
    for (const camera of options.cameras) this.cameras.set(camera.id, this.buildCamera(camera));
  }

  start(): Promise<void> {
    this.stopped = false;
    for (const c of this.cameras.values()) c.arming.start();
    this.timer = this.options.clock.setInterval(() => this.sweep(), this.options.sweepMs ?? 250);
    return Promise.resolve();
  }

  /** Ends every open event (`reason: shutdown`) and queues the thumbnails still due, before the link stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearInterval(this.timer);
    for (const c of this.cameras.values()) c.arming.stop();
    this.options.clips?.hurry();
    await Promise.all(this.sweeps);
    await Promise.all([...this.cameras.values()].map((c) => this.endAll(c, 'shutdown')));
    await Promise.all(this.clipEnds);
  }

  /**
   * Where detection should look again on this frame for the objects being tracked (their boxes,
   * widened by `margin`). An open event's object whose widened box shows the same picture as on the
   * frame where the detector last found it (`unchangedSince`), less than `STILL_RECHECK_MS` ago, is
   * not looked for: it is kept (still there, no new detection credited) and costs no inference.
   * Parked e-bikes and people standing still are the common case. Objects not yet published, changed
   * ones, and kept ones due a recheck are looked for as before.
   */
  lookAgain(camera: string, frame: Frame, unchangedSince: (sinceMono: number, box: Box) => boolean, margin: number): Box[] {
    const c = this.cameras.get(camera);
    if (c === undefined) return [];
    const boxes: Box[] = [];
    for (const track of c.tracker.active()) {
      const box = expand(track.box, margin);
      const still = c.states.get(track.id)?.status === 'open'
        && frame.mono - track.lastDetectedMono < STILL_RECHECK_MS
        && unchangedSince(track.lastDetectedMono, box);
      if (still) {
        c.tracker.keep(track.id, frame);
        this.counts.stillSkips++;
      } else {
        boxes.push(box);
      }
    }
    return boxes;
  }

  summary(): EventsSummary {
    let active = 0;
    const notPublished: Record<string, number> = {};
    for (const [id, c] of this.cameras) {
      active += c.tracker.active().length;
      notPublished[id] = c.flood.count().notPublished;
    }
    return { ...this.counts, quiet: { ...this.counts.quiet }, notPublished, activeTracks: active };
  }

  /** One frame's detections (already filtered by zones, masks and scores). */
  async observe(frame: Frame, detections: readonly Detection[]): Promise<void> {
    const c = this.cameras.get(frame.camera);
    if (c === undefined || this.stopped) return;
    const zonesOf = (box: Box) => this.options.zonesOf?.(c.camera.id, box) ?? [];
    const { refused, looks } = await this.lookedDifferent(c, frame, detections);
    const updates = c.tracker.observe(frame, detections, zonesOf, (p) => refused.has(pairKey(p)));
    c.lastObservedMono = frame.mono;
    for (const { track, index } of updates) {
      // The look worked out for this detection is the track's look on this frame: not decoded again later.
      const look = looks.get(index);
      if (look !== undefined) c.looks.set(track, { frame, look });
      const state = c.states.get(track.id) ?? this.tentative(c, track);
      if (state.status === 'tentative') await this.maybeOpen(c, track, state);
      else if (state.status === 'open') await this.maybeUpdate(c, track, state);
    }
    await this.sweepCamera(c);
  }

  /**
   * The pairings to refuse on this frame: an object the detector missed on the frame before (gone
   * behind something, or gone out of view) may be continued by a detection near it only if that
   * detection looks like it (`events.lookAlike`). So a person who walks in where the last one
   * walked out a moment ago gets their own event, while one hidden for a moment keeps theirs.
   * Objects seen on the frame before are matched by place alone, as before: no picture is decoded
   * for them. A picture that cannot be read refuses nothing.
   */
  private async lookedDifferent(c: CameraEvents, frame: Frame, detections: readonly Detection[]): Promise<{ refused: Set<string>; looks: Map<number, Appearance> }> {
    const refused = new Set<string>();
    const found = new Map<number, Appearance>();
    const min = c.camera.events.lookAlike;
    if (min <= 0) return { refused, looks: found };
    // Only after a miss on an observed frame. Counting frames the hand-off dropped as misses too (unseen
    // for 1.5 × the camera's interval) compared on most frames under load and cost 13% of the detector's
    // inferences at 12 busy cameras (docs/cameras.md, "Cost"), so it was taken out again.
    // `observe` works the pairings out again after this, on purpose: while pictures are decoded here the
    // sweep may end a track, and a pairing kept from now would hand a detection to an ended track.
    const checks = c.tracker.pairings(detections).filter((p) => p.track.lastSeenMono < c.lastObservedMono);
    // Each frame involved is decoded once, small: this one and the frames the missed objects were last found on.
    const pictures = new Map<Frame, Promise<RgbImage>>();
    const picture = (f: Frame): Promise<RgbImage> => {
      const known = pictures.get(f);
      if (known !== undefined) return known;
      const decoding = pictureOf(f.jpeg);
      this.counts.lookDecodes++;
      pictures.set(f, decoding);
      return decoding;
    };
    for (const pairing of checks) {
      const detection = detections[pairing.index];
      if (detection === undefined) continue;
      try {
        const then = await this.lookOf(c, pairing.track, picture);
        const now = found.get(pairing.index) ?? appearanceIn(await picture(frame), detection.box);
        found.set(pairing.index, now);
        const alike = similarity(then, now);
        this.counts.lookComparisons++;
        const different = alike < min;
        if (different) {
          refused.add(pairKey(pairing));
          this.counts.lookedDifferent++;
        }
        this.options.logger.debug({
          camera: c.camera.id, id: pairing.track.id, label: detection.label, alike: round3(alike), different,
          missedMs: frame.mono - pairing.track.lastSeenMono,
          // Where both were, for looking at the pair again (scripts/eval/look-alike.ts).
          box: detection.box.map(round3), mono: frame.mono, lastBox: pairing.track.box.map(round3), lastMono: pairing.track.lastFrame.mono,
        }, 'object missed on the last frame compared with a detection near it');
      } catch (err) {
        this.options.logger.warn({ err, camera: c.camera.id, id: pairing.track.id }, 'could not compare an object\'s look; matched by place');
      }
    }
    return { refused, looks: found };
  }

  private async lookOf(c: CameraEvents, track: Track, picture: (frame: Frame) => Promise<RgbImage>): Promise<Appearance> {
    const known = c.looks.get(track);
    if (known?.frame === track.lastFrame) return known.look;
    const look = appearanceIn(await picture(track.lastFrame), track.box);
    c.looks.set(track, { frame: track.lastFrame, look });
    return look;
  }

  /** Ends what timed out and sends thumbnails that are due, on every camera. */
  sweep(): void {
    if (this.stopped) return;
    const work = Promise.all([...this.cameras.values()].map((c) => this.sweepCamera(c)))
      .then(() => undefined)
      .catch((err: unknown) => this.options.logger.error({ err }, 'event sweep failed'));
    // stop() waits for every sweep still running (thumbnails take a moment).
    this.sweeps.add(work);
    void work.finally(() => this.sweeps.delete(work));
  }

  private buildCamera(camera: EventsCamera): CameraEvents {
    const { clock } = this.options;
    const newId = this.options.newId ?? ((id: string) => defaultEventId(id, clock.now()));
    const defaults = { person: DEFAULT_LABEL_RULES.person.minScore, ebike: DEFAULT_LABEL_RULES.ebike.minScore };
    const states = new Map<string, EventState>();
    // An object seen fewer than `minHits` times, or not yet in the record, is continued without overlap
    // only by a detection of about its size: a man seen once must not hand his score and movement (or,
    // recorded on that one sure frame, his event) to the cone beside him, a box a third of his.
    // And once seen often enough, a doubtful one that has stayed put (a rock, a sign) is continued only
    // by a detection that overlaps it: a person walking past must not lend it their movement and score.
    // Objects in the record and seen often enough jump freely: a person walking up to the camera may
    // double in size in a second.
    const mayJump = (track: Track, to: Detection) => {
      const recorded = states.get(track.id)?.status !== 'tentative';
      const young = track.hits < camera.events.minHits;
      if ((young || !recorded) && sizeRatio(track.box, to.box) > MAX_JUMP_SIZE_RATIO) return false;
      return recorded || young || track.maxMove >= camera.events.minMove;
    };
    return {
      camera,
      tracker: new ObjectTracker({ iou: camera.events.iou, mayJump, newId: () => newId(camera.id) }),
      arming: new ArmingSchedule(camera.id, camera.arm, { scheduler: this.options.scheduler, clock, timezone: this.options.timezone }),
      flood: new FloodGuard(camera.id, camera.events.floodPerMinute, { clock, alerts: this.options.alerts }),
      confidence: { minScore: camera.minScore ?? defaults, stillScore: camera.events.stillScore, minMove: camera.events.minMove },
      states,
      lastAlert: new Map(),
      lastObservedMono: Number.NEGATIVE_INFINITY,
      looks: new WeakMap(),
    };
  }

  private tentative(c: CameraEvents, track: Track): EventState {
    const state: EventState = {
      status: 'tentative', alert: false, quiet: undefined, newMono: 0, lastUpdateMono: 0, publishedScore: 0, publishedZones: '', thumbnail: false,
    };
    c.states.set(track.id, state);
    return state;
  }

  private async maybeOpen(c: CameraEvents, track: Track, state: EventState): Promise<void> {
    const { minHits, sureHits } = c.camera.events;
    const verdict = judge(track, c.confidence);
    if (!verdict.confident) return;
    // Confident without having moved: sure enough even if it stood still, so `sureHits` sightings do.
    if (track.hits < (verdict.moving ? minHits : Math.min(sureHits, minHits))) return;
    if (!c.flood.admit()) {
      state.status = 'held';
      return;
    }
    const now = this.options.clock.monotonicMs();
    const quiet = this.quietReason(c, track.label, now);
    Object.assign(state, { status: 'open', alert: quiet === undefined, quiet, newMono: now, lastUpdateMono: now });
    this.counts.recorded++;
    if (quiet === undefined) {
      c.lastAlert.set(track.label, now);
      this.counts.alerting++;
    } else {
      this.counts.quiet[quiet]++;
    }
    this.options.logger.debug({
      camera: c.camera.id, id: track.id, label: track.label, alert: state.alert, quiet, hits: track.hits,
      median: round3(verdict.median), moving: verdict.moving, afterMs: now - track.firstSeenMono,
    }, 'object recorded');
    await this.emit(c, track, state, 'new');
  }

  /** Why a new object should not ring at the station, if it should not. */
  private quietReason(c: CameraEvents, label: Label, now: number): EventQuiet | undefined {
    if (!c.arming.armed(label)) return 'disarmed';
    const last = c.lastAlert.get(label);
    if (last !== undefined && now - last < c.camera.events.cooldown) return 'cooldown';
    if (!this.rateCap.take()) return 'rate';
    return undefined;
  }

  private async maybeUpdate(c: CameraEvents, track: Track, state: EventState): Promise<void> {
    const now = this.options.clock.monotonicMs();
    const better = track.score >= state.publishedScore + c.camera.events.minScoreGain;
    const moved = track.zones.join(',') !== state.publishedZones;
    if (!better && !moved) return;
    if (now - state.lastUpdateMono < c.camera.events.updateEvery) return;
    state.lastUpdateMono = now;
    await this.emit(c, track, state, 'update');
  }

  private async sweepCamera(c: CameraEvents): Promise<void> {
    const now = this.options.clock.monotonicMs();
    const due = c.tracker.active().filter((track) => {
      const state = c.states.get(track.id);
      return state?.status === 'open' && !state.thumbnail && now - state.newMono >= c.camera.events.thumbnailAfter;
    });
    // Alerting objects' pictures first.
    due.sort((a, b) => Number(c.states.get(b.id)?.alert) - Number(c.states.get(a.id)?.alert));
    for (const track of due) {
      const state = c.states.get(track.id);
      // Another sweep may have sent it while this one waited.
      if (state !== undefined && !state.thumbnail) await this.sendThumbnail(c, track, state);
    }
    for (const track of c.tracker.expire(now - c.camera.events.endAfter)) await this.end(c, track, 'gone');
    c.flood.sweep();
  }

  private async endAll(c: CameraEvents, reason: EventEndReason): Promise<void> {
    const tracks = c.tracker.expire(Number.POSITIVE_INFINITY);
    // Pictures are made together (sharp works off the main thread), then the ends go out.
    await Promise.all(tracks.map(async (track) => {
      const state = c.states.get(track.id);
      if (state?.status === 'open' && !state.thumbnail) await this.sendThumbnail(c, track, state);
    }));
    for (const track of tracks) await this.end(c, track, reason);
  }

  private async end(c: CameraEvents, track: Track, reason: EventEndReason): Promise<void> {
    const state = c.states.get(track.id);
    c.states.delete(track.id);
    if (state?.status === 'tentative' && track.hits >= c.camera.events.minHits) {
      const verdict = judge(track, c.confidence);
      this.options.logger.debug({ camera: c.camera.id, label: track.label, hits: track.hits, ...verdict, maxMove: round3(track.maxMove) }, 'object never confident enough for an event');
    }
    if (state?.status !== 'open') return;
    if (!state.thumbnail) await this.sendThumbnail(c, track, state);
    const clips = this.options.clips;
    if (clips === undefined || reason === 'shutdown') {
      await this.emit(c, track, state, 'end', reason);
      return;
    }
    // The clip needs the post-roll recorded: the `end` waits for it, without holding up this sweep.
    const request = { camera: c.camera.id, event: track.id, startedAt: track.startedAt, lastSeenAt: track.lastSeenAt, alert: state.alert };
    const work = clips.clip(request).catch(() => undefined).then((clip) => this.emit(c, track, state, 'end', reason, clip));
    this.clipEnds.add(work);
    void work.finally(() => this.clipEnds.delete(work));
  }

  private async sendThumbnail(c: CameraEvents, track: Track, state: EventState): Promise<void> {
    state.thumbnail = true; // one attempt per event, even if it fails
    try {
      const jpeg = await makeThumbnail(track.best.frame.jpeg, track.best.box, c.camera.privacyMasks);
      await this.options.link.publishThumbnail(track.id, jpeg);
    } catch (err) {
      state.thumbnail = false;
      this.options.logger.error({ err, camera: c.camera.id, id: track.id }, 'event thumbnail failed');
    }
    if (state.alert) await this.sendFrame(c, track);
  }

  /** The whole picture around an alerting event: the thumbnail's frame, masked, with the box on it. */
  private async sendFrame(c: CameraEvents, track: Track): Promise<void> {
    try {
      const { frame, box } = track.best;
      const whole = await makeFrame(frame.jpeg, c.camera.privacyMasks);
      await this.options.link.publishFrame({
        ts: this.options.clock.now().toISOString(), event: track.id, camera: c.camera.id, capturedAt: frame.capturedAt.toISOString(),
        box: box.map(round3) as Box, width: whole.width, height: whole.height, contentType: 'image/jpeg', jpegBase64: whole.jpeg.toString('base64'),
      });
    } catch (err) {
      this.options.logger.error({ err, camera: c.camera.id, id: track.id }, 'event frame failed');
    }
  }

  private async emit(c: CameraEvents, track: Track, state: EventState, type: EventBody['type'], reason?: EventEndReason, clip?: ClipInfo): Promise<void> {
    state.publishedScore = Math.max(state.publishedScore, track.score);
    state.publishedZones = track.zones.join(',');
    const ended = type === 'end';
    const body: EventBody = {
      ts: this.options.clock.now().toISOString(),
      id: track.id,
      type,
      camera: c.camera.id,
      label: track.label,
      score: round3(ended ? track.best.score : track.score),
      box: (ended ? track.best.box : track.box).map(round3) as Box,
      zones: track.zones,
      startedAt: track.startedAt.toISOString(),
      ...(ended ? { endedAt: track.lastSeenAt.toISOString() } : {}),
      thumbnail: state.thumbnail,
      alert: state.alert,
      ...definedProps({ quiet: state.quiet, reason, clip }),
    };
    try {
      await this.options.link.publishEvent(body);
    } catch (err) {
      this.options.logger.error({ err, camera: c.camera.id, id: track.id, type }, 'event could not be queued');
    }
  }
}

function defaultEventId(camera: string, now: Date): string {
  return `${camera}-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function pairKey(p: Pairing): string {
  return `${p.track.id} ${p.index}`;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
