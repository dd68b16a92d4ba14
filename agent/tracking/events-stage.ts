import { randomBytes } from 'node:crypto';
import type { EventsConfig, ArmWindow, HostEventsConfig } from '../config/sections/camera-pipeline.js';
import type { Polygon } from '../config/sections/regions.js';
import type { StationLink } from '../contract/link.js';
import type { EventBody } from '../contract/v1.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { Box, Detection, Frame, Label } from '../pipeline/types.js';
import { ArmingSchedule, RateCap } from './arming.js';
import { ObjectTracker, type Track } from './object-tracker.js';
import { makeThumbnail } from './thumbnail.js';

export interface EventsCamera {
  id: string;
  events: EventsConfig;
  privacyMasks: readonly Polygon[];
  arm?: readonly ArmWindow[] | undefined;
}

export interface EventsStageOptions {
  cameras: readonly EventsCamera[];
  host: HostEventsConfig;
  timezone: string;
  link: StationLink;
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
  /** Names of the zones a box is in (the detection filter's zones); none by default. */
  zonesOf?: (camera: string, box: Box) => string[];
  newId?: (camera: string) => string;
  sweepMs?: number;
}

type Silence = 'cooldown' | 'rate' | 'disarmed';

interface EventState {
  status: 'tentative' | 'published' | Silence;
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
  states: Map<string, EventState>;
  lastNew: Map<Label, number>;
}

export interface EventsSummary {
  published: number;
  silenced: Record<Silence, number>;
  activeTracks: number;
}

/**
 * Turns filtered detections into tracked-object events: one `new` when an object has been seen
 * `minHits` times, `update`s when its score improves or it changes zone (rate-limited), one `end`
 * when it has not been seen for `endAfter`; one thumbnail per event. Arming windows, a per-camera
 * cooldown and a per-host rate cap keep the operator from drowning: silenced objects are still
 * tracked, so they do not come back as new ones.
 */
export class EventsStage implements Module {
  readonly name = 'events';
  private readonly cameras = new Map<string, CameraEvents>();
  private readonly rateCap: RateCap;
  private readonly counts: EventsSummary = { published: 0, silenced: { cooldown: 0, rate: 0, disarmed: 0 }, activeTracks: 0 };
  private timer: TimerHandle | undefined;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EventsStageOptions) {
    this.rateCap = new RateCap(options.host.maxPerMinute, options.clock);
    for (const camera of options.cameras) {
      const newId = options.newId ?? ((id: string) => defaultEventId(id, options.clock.now()));
      this.cameras.set(camera.id, {
        camera,
        tracker: new ObjectTracker({ iou: camera.events.iou, newId: () => newId(camera.id) }),
        arming: new ArmingSchedule(camera.id, camera.arm, { scheduler: options.scheduler, clock: options.clock, timezone: options.timezone }),
        states: new Map(),
        lastNew: new Map(),
      });
    }
  }

  start(): Promise<void> {
    for (const c of this.cameras.values()) c.arming.start();
    this.timer = this.options.clock.setInterval(() => this.sweep(), this.options.sweepMs ?? 250);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.options.clock.clearInterval(this.timer);
    for (const c of this.cameras.values()) c.arming.stop();
    await this.pending;
  }

  /** The boxes of objects being tracked on a camera: detection keeps looking there even without motion. */
  activeBoxes(camera: string): Box[] {
    return this.cameras.get(camera)?.tracker.active().map((t) => t.box) ?? [];
  }

  summary(): EventsSummary {
    let active = 0;
    for (const c of this.cameras.values()) active += c.tracker.active().length;
    return { ...this.counts, silenced: { ...this.counts.silenced }, activeTracks: active };
  }

  /** One frame's detections (already filtered by zones, masks and scores). */
  async observe(frame: Frame, detections: readonly Detection[]): Promise<void> {
    const c = this.cameras.get(frame.camera);
    if (c === undefined) return;
    const zonesOf = (box: Box) => this.options.zonesOf?.(c.camera.id, box) ?? [];
    for (const { track } of c.tracker.observe(frame, detections, zonesOf)) {
      const state = c.states.get(track.id) ?? this.tentative(c, track);
      if (state.status === 'tentative' && track.hits >= c.camera.events.minHits) await this.decide(c, track, state);
      else if (state.status === 'published') await this.maybeUpdate(c, track, state);
    }
    await this.sweepCamera(c);
  }

  /** Ends what timed out and sends thumbnails that are due, on every camera. */
  sweep(): void {
    const work = Promise.all([...this.cameras.values()].map((c) => this.sweepCamera(c)))
      .catch((err: unknown) => this.options.logger.error({ err }, 'event sweep failed'));
    // stop() waits for every sweep still running (thumbnails take a moment).
    this.pending = Promise.all([this.pending, work]);
  }

  private tentative(c: CameraEvents, track: Track): EventState {
    const state: EventState = { status: 'tentative', newMono: 0, lastUpdateMono: 0, publishedScore: 0, publishedZones: '', thumbnail: false };
    c.states.set(track.id, state);
    return state;
  }

  private async decide(c: CameraEvents, track: Track, state: EventState): Promise<void> {
    const now = this.options.clock.monotonicMs();
    const last = c.lastNew.get(track.label);
    let silence: Silence | undefined;
    if (!c.arming.armed(track.label)) silence = 'disarmed';
    else if (last !== undefined && now - last < c.camera.events.cooldown) silence = 'cooldown';
    else if (!this.rateCap.take()) silence = 'rate';
    if (silence !== undefined) {
      state.status = silence;
      this.counts.silenced[silence]++;
      this.options.logger.debug({ camera: c.camera.id, id: track.id, label: track.label, silence }, 'object tracked without an event');
      return;
    }
    c.lastNew.set(track.label, now);
    state.status = 'published';
    state.newMono = now;
    state.lastUpdateMono = now;
    this.counts.published++;
    await this.emit(c, track, state, 'new');
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
    for (const track of c.tracker.active()) {
      const state = c.states.get(track.id);
      if (state?.status === 'published' && !state.thumbnail && now - state.newMono >= c.camera.events.thumbnailAfter) {
        await this.sendThumbnail(c, track, state);
      }
    }
    for (const track of c.tracker.expire(now - c.camera.events.endAfter)) {
      const state = c.states.get(track.id);
      c.states.delete(track.id);
      if (state?.status !== 'published') continue;
      if (!state.thumbnail) await this.sendThumbnail(c, track, state);
      await this.emit(c, track, state, 'end');
    }
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
  }

  private async emit(c: CameraEvents, track: Track, state: EventState, type: EventBody['type']): Promise<void> {
    state.publishedScore = Math.max(state.publishedScore, track.score);
    state.publishedZones = track.zones.join(',');
    const body: EventBody = {
      ts: this.options.clock.now().toISOString(),
      id: track.id,
      type,
      camera: c.camera.id,
      label: track.label,
      score: round3(type === 'end' ? track.best.score : track.score),
      box: (type === 'end' ? track.best.box : track.box).map(round3) as Box,
      zones: track.zones,
      startedAt: track.startedAt.toISOString(),
      ...(type === 'end' ? { endedAt: track.lastSeenAt.toISOString() } : {}),
      thumbnail: state.thumbnail,
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

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
