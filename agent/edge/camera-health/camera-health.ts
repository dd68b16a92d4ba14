// One file: each camera's verdict (online/offline/degraded) is one state machine over frames, failures and
// picture checks, with its debounce and publication; split, its transitions could not be read in one place.
import type { FaultsConfig } from '../../config/sections/camera-pipeline.js';
import type { HealthReporter, StationLink } from '../../link/contract/link.js';
import type { CameraFaultReason, CameraState, CameraStatusPayload } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import { judgePicture, measurePicture, samePixels, type PictureMeasures, type PictureVerdict, type Reference } from './picture-checks.js';
import type { GreyImage } from '../imaging/grey.js';
import { definedProps } from '../../core/defined-props.js';

export interface HealthCamera {
  id: string;
  intervalMs: number;
  faults: FaultsConfig;
  /** Restarts of the source's connection or process so far (RTSP), when the source counts them. */
  restarts?: () => number;
}

export interface CameraHealthOptions {
  cameras: readonly HealthCamera[];
  /** Camera status goes to the link; alerts go through the reporter (the host's alert board). */
  link: Pick<StationLink, 'setCameraStatus'>;
  alerts: HealthReporter;
  clock: Clock;
  logger: Logger;
  /** How often connectivity is re-judged without frames arriving. */
  tickMs?: number;
}

export interface CameraQuality {
  state: CameraState | 'unknown';
  reason: CameraFaultReason | null;
  since: string | null;
  expectedFps: number;
  /** Frames over the last minute (or since start, when shorter). */
  achievedFps: number;
  reconnectsLastHour: number;
  stallsLastHour: number;
}

interface Condition {
  state: CameraState;
  reason: CameraFaultReason | null;
  detail?: string;
}

interface Published extends Condition {
  since: string;
}

const REFERENCE_FRAMES = 5;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** One camera's evidence and its debounced state. */
class CameraRecord {
  lastFrameMono: number;
  /** Whether the camera has delivered a picture since start: before that it is never called online. */
  framed = false;
  lastFailure: { reason: CameraFaultReason; message: string } | undefined;
  /** The camera answers, but its last picture was refused (undecodable, or a pixel bomb). */
  badImage: { message: string; mono: number } | undefined;
  failing = false;
  inTimeout = false;
  previousPixels: Uint8Array | undefined;
  identicalSince: number | undefined;
  verdict: PictureVerdict = { reason: null };
  reference: Reference | undefined;
  referenceFrames: PictureMeasures[] = [];
  candidate: Condition | undefined;
  candidateSince = 0;
  published: Published | undefined;
  frameTimes: number[] = [];
  reconnectTimes: number[] = [];
  stallTimes: number[] = [];
  knownRestarts = 0;

  constructor(readonly camera: HealthCamera, readonly startedMono: number) {
    this.lastFrameMono = startedMono;
  }
}

/**
 * Watches every camera's frames and failures and publishes, debounced, whether it is online,
 * offline (unreachable, timeout, auth, bad image) or degraded (black, covered, frozen, blurred,
 * moved): retained on camera/<cam>/status, and as health alerts raised and cleared.
 */
export class CameraHealth implements Module {
  readonly name = 'camera-health';
  private readonly records = new Map<string, CameraRecord>();
  private timer: TimerHandle | undefined;

  constructor(private readonly options: CameraHealthOptions) {}

  start(): Promise<void> {
    const now = this.options.clock.monotonicMs();
    for (const camera of this.options.cameras) this.records.set(camera.id, new CameraRecord(camera, now));
    this.timer = this.options.clock.setInterval(() => this.tick(), this.options.tickMs ?? 250);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer !== undefined) this.options.clock.clearInterval(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /** A frame arrived and was decoded to the small greyscale picture motion uses. */
  feed(camera: string, picture: GreyImage): void {
    const record = this.records.get(camera);
    if (record === undefined) return;
    const now = this.options.clock.monotonicMs();
    const previousFrameMono = record.lastFrameMono;
    if (record.failing) record.reconnectTimes.push(now);
    record.failing = false;
    record.inTimeout = false;
    record.lastFrameMono = now;
    record.framed = true;
    record.lastFailure = undefined;
    record.badImage = undefined;
    record.frameTimes.push(now);
    const measures = measurePicture(picture);
    this.trackFrozen(record, measures, previousFrameMono);
    record.verdict = judgePicture(measures, record.reference, record.camera.faults);
    if (record.verdict.reason === null && record.identicalSince === undefined) this.learnReference(record, measures);
    this.evaluate(record);
  }

  /**
   * The camera delivered, but not a usable picture (cannot be decoded, or declares more pixels
   * than the agent decodes): it is reachable, so `degraded` (`bad_image`), not offline.
   */
  badImage(camera: string, message: string): void {
    const record = this.records.get(camera);
    if (record === undefined) return;
    record.badImage = { message, mono: this.options.clock.monotonicMs() };
    this.evaluate(record);
  }

  /** A grab failed. */
  failure(camera: string, reason: CameraFaultReason, message: string): void {
    const record = this.records.get(camera);
    if (record === undefined) return;
    const now = this.options.clock.monotonicMs();
    record.failing = true;
    if (reason === 'timeout' && !record.inTimeout) record.stallTimes.push(now);
    record.inTimeout = reason === 'timeout';
    record.lastFailure = { reason, message };
    record.badImage = undefined;
    this.evaluate(record);
  }

  /** The published state of a camera, if one was published yet. */
  status(camera: string): Published | undefined {
    return this.records.get(camera)?.published;
  }

  /** Per-camera connection quality for the heartbeat. */
  summary(): Record<string, CameraQuality> {
    const now = this.options.clock.monotonicMs();
    const out: Record<string, CameraQuality> = {};
    for (const [id, r] of this.records) {
      prune(r.frameTimes, now - MINUTE);
      prune(r.reconnectTimes, now - HOUR);
      prune(r.stallTimes, now - HOUR);
      const window = Math.min(MINUTE, Math.max(1, now - r.startedMono));
      out[id] = {
        state: r.published?.state ?? 'unknown',
        reason: r.published?.reason ?? null,
        since: r.published?.since ?? null,
        expectedFps: round2(1000 / r.camera.intervalMs),
        achievedFps: round2((r.frameTimes.length * 1000) / window),
        reconnectsLastHour: r.reconnectTimes.length,
        stallsLastHour: r.stallTimes.length,
      };
    }
    return out;
  }

  private tick(): void {
    for (const record of this.records.values()) {
      const restarts = record.camera.restarts?.() ?? 0;
      const now = this.options.clock.monotonicMs();
      for (; record.knownRestarts < restarts; record.knownRestarts++) record.reconnectTimes.push(now);
      this.evaluate(record);
    }
  }

  /** The picture has been identical since the first of the identical frames arrived. */
  private trackFrozen(record: CameraRecord, measures: PictureMeasures, previousFrameMono: number): void {
    const same = record.previousPixels !== undefined && samePixels(record.previousPixels, measures.pixels);
    if (!same) record.identicalSince = undefined;
    else record.identicalSince ??= previousFrameMono;
    record.previousPixels = measures.pixels;
  }

  /** The reference view: the mean layout and sharpness of the first good frames after start. */
  private learnReference(record: CameraRecord, measures: PictureMeasures): void {
    if (record.reference !== undefined) return;
    record.referenceFrames.push(measures);
    if (record.referenceFrames.length < REFERENCE_FRAMES) return;
    const frames = record.referenceFrames;
    const signature = new Float32Array(frames[0]?.signature.length ?? 0);
    for (const f of frames) f.signature.forEach((v, i) => { signature[i]! += v / frames.length; });
    const sharpness = frames.map((f) => f.sharpness).sort((a, b) => a - b)[Math.floor(frames.length / 2)] ?? 0;
    record.reference = { signature, sharpness };
    record.referenceFrames = [];
  }

  /**
   * What the camera's state is now; undefined while a camera that has not delivered a picture yet
   * has not failed either (nothing is published: a station must never read `online` for it).
   */
  private condition(record: CameraRecord, now: number): Condition | undefined {
    const { faults, intervalMs } = record.camera;
    const bad = record.badImage;
    if (bad !== undefined && now - bad.mono < faults.offlineAfter * intervalMs) return { state: 'degraded', reason: 'bad_image', detail: bad.message };
    if (now - record.lastFrameMono >= faults.offlineAfter * intervalMs || this.failedBeforeFirstFrame(record)) {
      const failure = record.lastFailure ?? { reason: 'timeout' as const, message: `no frame for ${now - record.lastFrameMono} ms` };
      return { state: 'offline', reason: failure.reason, detail: failure.message };
    }
    if (!record.framed) return undefined;
    const verdict = record.verdict;
    const picture: Condition | undefined = verdict.reason === null ? undefined
      : { state: 'degraded', reason: verdict.reason, ...definedProps({ detail: verdict.detail }) };
    // A black or covered picture is also identical from frame to frame: say what it is, not that it froze.
    if (picture !== undefined && (verdict.reason === 'black' || verdict.reason === 'covered')) return picture;
    if (record.identicalSince !== undefined && now - record.identicalSince >= faults.frozenAfter) {
      return { state: 'degraded', reason: 'frozen', detail: `identical pictures for ${Math.round((now - record.identicalSince) / 1000)} s` };
    }
    if (picture !== undefined) return picture;
    return { state: 'online', reason: null };
  }

  /** A camera that never delivered and refused (auth, bad image...) is offline without the silent window; a slow first frame is not. */
  private failedBeforeFirstFrame(record: CameraRecord): boolean {
    return !record.framed && record.lastFailure !== undefined && record.lastFailure.reason !== 'timeout';
  }

  private holdFor(record: CameraRecord, condition: Condition): number {
    if (record.published === undefined && condition.state === 'online') return 0;
    // frozenAfter is already the frozen picture's window; the other picture faults must last `window`.
    if (condition.reason === 'frozen') return 0;
    const pictureFault = condition.state === 'degraded';
    return pictureFault ? Math.max(record.camera.faults.window, record.camera.faults.debounce) : record.camera.faults.debounce;
  }

  private evaluate(record: CameraRecord): void {
    const now = this.options.clock.monotonicMs();
    const condition = this.condition(record, now);
    if (condition === undefined) {
      record.candidate = undefined;
      return;
    }
    if (!sameCondition(condition, record.candidate)) {
      record.candidate = condition;
      record.candidateSince = now;
    } else if (record.candidate !== undefined) {
      record.candidate.detail = condition.detail;
    }
    if (sameCondition(condition, record.published)) return;
    if (now - record.candidateSince < this.holdFor(record, condition)) return;
    this.publish(record, condition);
  }

  private publish(record: CameraRecord, condition: Condition): void {
    const { link, clock } = this.options;
    const ts = clock.now().toISOString();
    const previous = record.published;
    record.published = { ...condition, since: ts };
    const status: CameraStatusPayload = {
      ts, camera: record.camera.id, state: condition.state, reason: condition.reason, since: ts,
      ...definedProps({ detail: condition.detail }),
    };
    link.setCameraStatus(status);
    const log = this.options.logger.child({ camera: record.camera.id });
    log.info({ state: condition.state, reason: condition.reason, detail: condition.detail }, 'camera state changed');
    if (previous !== undefined && previous.state !== 'online') this.alert(record.camera.id, previous, 'cleared');
    if (condition.state !== 'online') this.alert(record.camera.id, condition, 'raised');
  }

  private alert(camera: string, condition: Condition, state: 'raised' | 'cleared'): void {
    const offline = condition.state === 'offline';
    const kind = offline ? 'camera_offline' : 'camera_degraded';
    const what = `${condition.state} (${condition.reason ?? 'unknown'})`;
    const details = { reason: condition.reason };
    if (state === 'cleared') {
      this.options.alerts.clear(kind, camera, `camera ${camera} is no longer ${what}`, details);
      return;
    }
    const message = `camera ${camera} is ${what}${condition.detail === undefined ? '' : `: ${condition.detail}`}`;
    this.options.alerts.raise(kind, camera, { severity: offline ? 'critical' : 'warning', message, details });
  }
}

function sameCondition(a: Condition, b: Condition | undefined): boolean {
  return b !== undefined && a.state === b.state && a.reason === b.reason;
}

function prune(times: number[], oldest: number): void {
  while (times.length > 0 && (times[0] ?? 0) < oldest) times.shift();
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
