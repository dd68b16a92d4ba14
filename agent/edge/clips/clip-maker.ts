import { join } from 'node:path';
import type { Polygon } from '../../config/sections/regions.js';
import type { HealthReporter, StationLink } from '../../link/contract/link.js';
import type { CameraClipsSummary, ClipInfo } from '../../link/contract/v1.js';
import { errorMessage, isAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Processes } from '../../ports/process.js';
import { privacyMaskPng } from '../imaging/privacy.js';
import type { Frame } from '../types.js';
import { framesToMp4Args, segmentsToMp4Args, writeFrameList, writeSegmentList } from './assemble.js';
import { ClipSender } from './clip-sender.js';
import { ClipStore } from './clip-store.js';
import { probeDurationS, runFfmpeg } from './ffmpeg-job.js';
import { FrameRing } from './frame-ring.js';
import { covering } from './segment-ring.js';
import { SegmentRecorder } from './segment-recorder.js';

export interface ClipCamera {
  id: string;
  privacyMasks: readonly Polygon[];
  /** ffmpeg arguments that record the camera's RTSP stream into `<ring dir>/%s.ts`; absent: clips from sampled frames. */
  record?: { args: readonly string[]; secrets: readonly string[] } | undefined;
}

export interface ClipSettings {
  dir: string;
  /** The watched disk path whose disk_low/disk_readonly a clip write failure raises (the disk watch clears them). */
  disk: string;
  preRoll: number;
  postRoll: number;
  maxDuration: number;
  maxBytes: number;
  maxAge: number;
  segment: number;
  /** Push the clips of alerting events unasked (events/<id>/clip). */
  push: boolean;
  /** The most of the uplink's time clip chunks take (`clips.uplinkShare`; 1: no pacing). */
  uplinkShare: number;
  /** The longest one chunk may hold the uplink, in ms (`clips.chunkTime`): chunks are sized to the uplink's speed. */
  chunkTime: number;
  frames: { count: number; bytes: number };
  /** The longest `events.endAfter` of any camera: how long after the object was last seen its `end` comes. */
  endAfter: number;
}

export interface ClipMakerDeps {
  settings: ClipSettings;
  cameras: readonly ClipCamera[];
  link: Pick<StationLink, 'registerCommand' | 'state' | 'publishClipChunk' | 'onAnswerSent' | 'onPublishAcked'>;
  alerts: HealthReporter;
  fs: FileSystem;
  processes: Processes;
  clock: Clock;
  logger: Logger;
}

/** What the events stage asks for when an object's event ends. */
interface ClipRequest {
  camera: string;
  event: string;
  startedAt: Date;
  /** When the object was last seen. */
  lastSeenAt: Date;
  /** An alerting event's clip is pushed when `clips.push` is on. */
  alert?: boolean;
}

const CUT_TIMEOUT_MS = 300_000;
/** Errors that mean the clips disk is full (ENOSPC) or cannot be written (the rest), as the disk watch reads them. */
const DISK_CODES = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'ENOENT', 'ENOTDIR']);

/**
 * A short MP4 for every event, kept on the host and sent in chunks on `cmd/events/clip`. RTSP
 * cameras record a rolling ring of stream-copied segments and a clip is cut from them; snapshot
 * and file cameras keep their sampled frames in memory and a clip is encoded from them at their
 * real timing. Privacy masks are burned in (re-encoding only then). ffmpeg runs under nice; a
 * full or read-only disk is a health alert, never a crash.
 */
export class ClipMaker implements Module {
  readonly name = 'clips';
  private readonly store: ClipStore;
  private readonly rings = new Map<string, FrameRing>();
  private readonly recorders = new Map<string, SegmentRecorder>();
  private readonly cameras = new Map<string, ClipCamera>();
  private readonly hurried = new AbortController();
  private readonly cuts = new Set<Promise<unknown>>();
  private readonly log: Logger;
  private workCount = 0;
  private readonly counts = new Map<string, { made: number; failed: number }>();
  private readonly sender: ClipSender;
  /** ffmpeg cuts and encodes run one at a time: a burst of events must not start one encoder each on a Pi. */
  private encoder: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ClipMakerDeps) {
    const { settings, fs, clock, logger } = deps;
    this.log = logger;
    this.store = new ClipStore({ fs, dir: join(settings.dir, 'clips'), maxBytes: settings.maxBytes, maxAgeMs: settings.maxAge, clock });
    this.sender = new ClipSender({
      store: this.store, link: deps.link, clock, logger, stopping: this.hurried.signal, uplinkShare: settings.uplinkShare, chunkTimeMs: settings.chunkTime,
    });
    const keepMs = settings.preRoll + settings.maxDuration + settings.postRoll + settings.endAfter + 10_000;
    for (const camera of deps.cameras) {
      this.cameras.set(camera.id, camera);
      if (camera.record === undefined) {
        this.rings.set(camera.id, new FrameRing(settings.frames));
        continue;
      }
      this.recorders.set(camera.id, new SegmentRecorder({
        camera: camera.id, dir: this.ringDir(camera.id), args: camera.record.args, secrets: camera.record.secrets,
        segmentMs: settings.segment, keepMs, fs, processes: deps.processes, clock,
        logger: logger.child({ camera: camera.id, part: 'recorder' }),
        onDisk: (code, detail) => this.diskState(code, detail),
      }));
    }
  }

  /** Where a camera's recording ring lives: `<clips.dir>/ring/<camera>`. */
  private ringDir(camera: string): string {
    return join(this.deps.settings.dir, 'ring', camera);
  }

  async start(): Promise<void> {
    this.deps.link.registerCommand('events/clip', (params) => this.sender.chunk(params));
    try {
      await this.store.open();
      await this.store.prune();
      await this.sweepLeftovers();
    } catch (err) {
      this.storeFailed(err, 'the clips directory cannot be prepared');
    }
    await Promise.all([...this.recorders.values()].map((r) => r.start()));
  }

  async stop(): Promise<void> {
    this.hurry();
    await Promise.all(this.cuts);
    await this.sender.idle();
    await Promise.all([...this.recorders.values()].map((r) => r.stop()));
  }

  /** The agent stops: clips still waiting for their post-roll are given up, so every `end` goes out at once. */
  hurry(): void {
    this.hurried.abort(new Error('the agent is stopping'));
  }

  /** Work dirs a killed agent left, and the recording rings of cameras no longer configured. */
  private async sweepLeftovers(): Promise<void> {
    const { fs, settings } = this.deps;
    await fs.rm(join(settings.dir, 'work'), { recursive: true, force: true });
    const rings = await fs.readdir(join(settings.dir, 'ring')).catch(() => [] as string[]);
    for (const camera of rings.filter((c) => !this.recorders.has(c))) {
      await fs.rm(join(settings.dir, 'ring', camera), { recursive: true, force: true });
    }
  }

  /** The pids of the recording ffmpegs (tests check none outlives the agent). */
  pids(): number[] {
    return [...this.recorders.values()].flatMap((r) => r.pid() ?? []);
  }

  /** A camera's clips for the heartbeat: the video held now, clips made and failed since start. */
  summary(camera: string): CameraClipsSummary | undefined {
    if (!this.cameras.has(camera)) return undefined;
    const counts = this.counts.get(camera) ?? { made: 0, failed: 0 };
    const recorder = this.recorders.get(camera);
    if (recorder !== undefined) return { source: 'recording', ...recorder.status(), ...counts };
    const spanMs = this.rings.get(camera)?.spanMs() ?? 0;
    return { source: 'frames', heldS: Math.round(spanMs / 100) / 10, ...counts };
  }

  /** A sampled frame of a snapshot or file camera, kept for its clips. */
  frame(frame: Frame): void {
    this.rings.get(frame.camera)?.push({ at: frame.capturedAt.getTime(), jpeg: frame.jpeg });
  }

  /** Waits for the post-roll, makes and stores the clip; undefined when none could be made (logged, and alerted for disks). */
  clip(request: ClipRequest): Promise<ClipInfo | undefined> {
    const counts = this.counts.get(request.camera) ?? { made: 0, failed: 0 };
    this.counts.set(request.camera, counts);
    const work = this.cut(request).then((info) => {
      if (info === undefined) counts.failed++;
      else counts.made++;
      if (info !== undefined && request.alert === true && this.deps.settings.push) this.sender.queuePush(request.event);
      return info;
    }, (err: unknown) => {
      if (this.hurried.signal.aborted) return undefined;
      counts.failed++;
      this.storeFailed(err, `the clip of ${request.event} was not made`);
      return undefined;
    });
    this.cuts.add(work);
    void work.finally(() => this.cuts.delete(work));
    return work;
  }

  private async cut(request: ClipRequest): Promise<ClipInfo | undefined> {
    const { settings, clock } = this.deps;
    const camera = this.cameras.get(request.camera);
    if (camera === undefined || this.hurried.signal.aborted) return undefined;
    const from = request.startedAt.getTime() - settings.preRoll;
    const to = Math.min(request.lastSeenAt.getTime() + settings.postRoll, from + settings.maxDuration);
    // Recorded segments are complete once the next one has started.
    const ready = to + (camera.record === undefined ? 0 : settings.segment + 1000);
    const wait = ready - clock.now().getTime();
    if (wait > 0) await clock.sleep(wait, this.hurried.signal);
    const work = join(settings.dir, 'work', `${request.event}-${++this.workCount}`);
    await this.deps.fs.mkdir(work, { recursive: true });
    try {
      const mp4 = join(work, 'clip.mp4');
      const made = camera.record === undefined
        ? await this.fromFrames(camera, work, from, to, mp4)
        : await this.fromSegments(camera, work, from, to, mp4);
      if (!made) return undefined;
      const durationS = await probeDurationS(this.deps.processes, mp4);
      const info = await this.store.keep(request.event, camera.id, mp4, durationS);
      this.diskState(undefined, `clip of ${request.event} stored`);
      this.deps.alerts.clear('disk_low', this.store.dirPath(), 'clips fit in clips.maxBytes again');
      this.log.info({ camera: camera.id, event: request.event, ...info }, 'clip made');
      return info;
    } finally {
      await this.deps.fs.rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async fromFrames(camera: ClipCamera, work: string, from: number, to: number, out: string): Promise<boolean> {
    const frames = this.rings.get(camera.id)?.between(from, to) ?? [];
    if (frames.length === 0) {
      this.log.warn({ camera: camera.id }, 'no sampled frames kept for the clip (clips.frames too small?)');
      return false;
    }
    const first = frames[0]?.at ?? from;
    const typical = frames.length > 1 ? ((frames.at(-1)?.at ?? first) - first) / (frames.length - 1) : 1000;
    const list = await writeFrameList(this.deps.fs, work, frames, Math.max(40, Math.min(typical, to - (frames.at(-1)?.at ?? to)) || typical));
    const mask = await this.maskFile(camera, work);
    await this.ffmpeg(framesToMp4Args(list, mask, out));
    return true;
  }

  private async fromSegments(camera: ClipCamera, work: string, from: number, to: number, out: string): Promise<boolean> {
    const segments = covering(await this.recorders.get(camera.id)?.segments() ?? [], from, to);
    const first = segments[0];
    if (first === undefined) {
      this.log.warn({ camera: camera.id, from: new Date(from).toISOString() }, 'no recorded segment covers the clip');
      return false;
    }
    const list = await writeSegmentList(this.deps.fs, work, segments);
    const start = Math.max(0, from - first.start);
    const mask = await this.maskFile(camera, work);
    const args = segmentsToMp4Args(list, start / 1000, (to - Math.max(from, first.start)) / 1000, mask, out);
    await this.ffmpeg(args);
    return true;
  }

  /** One ffmpeg job after the ones before it; killed when the agent stops. */
  private ffmpeg(args: string[]): Promise<void> {
    const { processes, clock } = this.deps;
    const run = this.encoder.then(() => {
      if (this.hurried.signal.aborted) throw new Error('the agent is stopping');
      return runFfmpeg({ processes, clock, args, timeoutMs: CUT_TIMEOUT_MS, signal: this.hurried.signal });
    });
    this.encoder = run.catch(() => undefined);
    return run;
  }

  private async maskFile(camera: ClipCamera, work: string): Promise<string | undefined> {
    if (camera.privacyMasks.length === 0) return undefined;
    const path = join(work, 'mask.png');
    await this.deps.fs.writeFile(path, await privacyMaskPng(camera.privacyMasks));
    return path;
  }

  /** A disk error on the clips dir raises disk_low/disk_readonly on it; a success clears them. */
  private diskState(code: string | undefined, detail: string): void {
    const { alerts, settings } = this.deps;
    const path = settings.disk;
    if (code === undefined) {
      alerts.clear('disk_readonly', path, `${path} takes clips again`);
      return;
    }
    if (code === 'ENOSPC') alerts.raise('disk_low', path, { severity: 'critical', message: `${path} is full: ${detail}`, details: { code } });
    else alerts.raise('disk_readonly', path, { severity: 'critical', message: `${path} cannot be written (${code}): ${detail}`, details: { code } });
  }

  private storeFailed(err: unknown, what: string): void {
    const code = isAgentError(err) ? err.details['code'] : (err as NodeJS.ErrnoException).code;
    this.log.error({ err }, what);
    if (code === 'EFBIG') {
      this.deps.alerts.raise('disk_low', this.store.dirPath(), { severity: 'warning', message: `${what}: ${errorMessage(err)}`, details: { code } });
    } else if (typeof code === 'string' && DISK_CODES.has(code)) {
      this.diskState(code, `${what}: ${errorMessage(err)}`);
    }
  }
}
