// One file: one camera's data flow (poller, motion gate, detection hand-off, busy plan, events), wired in one place so the order of its stages reads top to bottom.
import { createFrameSource } from '../edge/cameras/index.js';
import { CameraHealth, type CameraQuality } from '../edge/camera-health/camera-health.js';
import type { CameraConfig, Config } from '../config/schema.js';
import type { HealthReporter, StationLink } from '../link/contract/link.js';
import { CommandError, type CameraDetectionSummary, type SnapshotAnswer } from '../link/contract/v1.js';
import { AgentError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { labelThresholds } from '../edge/detection/filters.js';
import type { CameraLinkQuality } from '../host/heartbeat/sources.js';
import { decodeGrey } from '../edge/imaging/grey.js';
import { burnPrivacyMasks } from '../edge/imaging/privacy.js';
import { MotionDetector } from '../edge/motion/motion-detector.js';
import { WholeFrameSchedule } from '../edge/motion/whole-frame.js';
import { GreyHistory } from '../edge/motion/grey-history.js';
import { NextFrame } from '../edge/sampling/next-frame.js';
import type { Box, Detection, Detector, Frame, FrameSource } from '../edge/types.js';
import { BusyPlan, BusyWindow } from './busy-plan.js';
import type { HostPorts } from '../ports/index.js';
import { CameraPoller } from '../edge/sampling/camera-poller.js';
import { LatestFrameHandoff, type HandoffStats } from '../edge/sampling/latest-frame-handoff.js';
import { EventsStage, type EventsSummary } from '../edge/tracking/events-stage.js';
import { definedProps } from '../core/defined-props.js';
import { buildClipMaker, type ClipMaker } from './clips.js';

export interface CameraPipelineDeps {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  link: StationLink;
  /** Where camera health raises and clears its alerts: the host's alert board. */
  alerts: HealthReporter;
  detector?: Detector | undefined;
  /** Per-camera filter of raw detections (zones, masks, min score); identity when absent. */
  filterDetections?: ((camera: string, detections: Detection[]) => Detection[]) | undefined;
  zonesOf?: ((camera: string, box: Box) => string[]) | undefined;
  /** How many frames the detector takes at once (its pool size). */
  detectorConcurrency?: number | undefined;
  /** More frames it takes at once while busy frames are packed into mosaics and that pays (`detector.whenBusy.mosaic`). */
  detectorMosaic?: { concurrency: number; pays(): boolean } | undefined;
  /** Sources by camera id, to replace the configured ones (tests, the demo). */
  sources?: ReadonlyMap<string, FrameSource> | undefined;
  /** Called after every poll, answered or not: the watchdog's proof that sampling is alive. */
  onPoll?: (() => void) | undefined;
}


interface DetectionJob {
  camera: string;
  mono: number;
  frame: Frame;
  /** Where to look; empty: the whole frame (full frame and tiles). */
  regions: Box[];
}

export interface CamerasSummary {
  cameras: Record<string, CameraQuality & { detect: boolean; dropped: number }>;
  detection: HandoffStats & { wired: boolean };
  events: EventsSummary;
}

interface CameraRuntime {
  config: CameraConfig;
  source: FrameSource;
  poller: CameraPoller;
  motion: MotionDetector;
  detect: boolean;
  /** Frames searched whole beside the motion gate (the first, lighting changes, every `scanEvery`). */
  wholeFrame: WholeFrameSchedule;
  /** The motion gate's last grey frames: whether a tracked object's picture changed since it was found. */
  greys: GreyHistory;
  lastFrame: Frame | undefined;
  nextFrame: NextFrame;
}

/**
 * The cameras → sampling → motion → detection → tracking/events chain for every configured
 * camera, wired by callbacks: stages never import each other. Camera health listens beside it.
 */
export class CameraPipeline {
  readonly health: CameraHealth;
  readonly events: EventsStage;
  readonly handoff: LatestFrameHandoff<DetectionJob>;
  readonly clips: ClipMaker | undefined;
  private readonly runtimes = new Map<string, CameraRuntime>();
  private readonly busyPlan: BusyPlan;
  private readonly log: Logger;

  constructor(private readonly deps: CameraPipelineDeps) {
    const { config, ports, logger, link } = deps;
    this.log = logger.child({ module: 'camera-pipeline' });
    for (const camera of config.cameras) this.runtimes.set(camera.id, this.buildCamera(camera));
    this.health = new CameraHealth({
      cameras: config.cameras.map((c) => {
        const source = this.runtimes.get(c.id)?.source;
        return { id: c.id, intervalMs: c.interval, faults: c.faults, restarts: () => source?.restarts?.() ?? 0 };
      }),
      link,
      alerts: deps.alerts,
      clock: ports.clock,
      logger: logger.child({ module: 'camera-health' }),
    });
    this.clips = buildClipMaker({ config, ports, logger, link, alerts: deps.alerts });
    this.events = new EventsStage({
      cameras: config.cameras.map((c) => ({ ...c, minScore: labelThresholds(config.detector, c.detect) })),
      host: config.events,
      timezone: config.host.timezone,
      link,
      alerts: deps.alerts,
      clock: ports.clock,
      scheduler: ports.scheduler,
      logger: logger.child({ module: 'events' }),
      ...definedProps({ zonesOf: deps.zonesOf, clips: this.clips }),
    });
    this.handoff = new LatestFrameHandoff<DetectionJob>({
      concurrency: deps.detectorConcurrency ?? 1,
      extraLanes: { count: deps.detectorMosaic?.concurrency ?? 0, takes: (job) => job.regions.length > 0 && this.busyPlan.packing() && deps.detectorMosaic?.pays() === true },
      process: (job) => this.detect(job),
      clock: ports.clock,
      logger: logger.child({ module: 'detection-handoff' }),
    });
    const { whenBusy } = config.detector;
    const busyWindow = new BusyWindow((ms) => this.handoff.droppedWithin(ms), () => ports.clock.monotonicMs());
    this.busyPlan = new BusyPlan(whenBusy.maxShrink, () => busyWindow.busy(), whenBusy.mosaic, whenBusy.pairs ? whenBusy.pairShrink : undefined, whenBusy.wholeFrame);
  }

  /** In data-flow order; the lifecycle stops them in reverse (pollers first, sources last). */
  modules(): Module[] {
    const sources: Module[] = [...this.runtimes.values()].map((r) => ({
      name: `camera:${r.config.id}`,
      start: () => r.source.start(),
      stop: () => r.source.stop(),
    }));
    const start: Module = {
      name: 'camera-pipeline',
      start: () => {
        if (this.deps.detector === undefined) {
          this.log.warn('detection is not wired: frames are sampled and camera health and motion run, but no objects are detected and no events are sent');
        }
        this.registerCommands();
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
    };
    const clips = this.clips === undefined ? [] : [this.clips];
    return [start, ...clips, ...sources, this.health, this.events, this.handoff, ...[...this.runtimes.values()].map((r) => r.poller)];
  }

  summary(): CamerasSummary {
    const quality = this.health.summary();
    const detection = this.handoff.stats();
    const cameras: CamerasSummary['cameras'] = {};
    for (const [id, r] of this.runtimes) {
      const q = quality[id];
      if (q !== undefined) cameras[id] = { ...q, detect: r.detect, dropped: detection.dropsByCamera[id] ?? 0 };
    }
    return { cameras, detection: { ...detection, wired: this.deps.detector !== undefined }, events: this.events.summary() };
  }

  /** Connection quality of one camera, for the heartbeat. */
  quality(camera: string): CameraLinkQuality | undefined {
    const q = this.health.summary()[camera];
    if (q === undefined) return undefined;
    const { expectedFps, achievedFps, reconnectsLastHour, stallsLastHour } = q;
    return {
      expectedFps, achievedFps, reconnectsLastHour, stallsLastHour,
      dropped: this.handoff.stats().dropsByCamera[camera] ?? 0,
      eventsNotPublished: this.events.summary().notPublished[camera] ?? 0,
    };
  }

  /** Frames of one camera offered to detection, detected and dropped, and the latency, for the heartbeat. */
  detection(camera: string): CameraDetectionSummary | undefined {
    if (!this.runtimes.has(camera)) return undefined;
    const counts = this.handoff.stats().byCamera[camera] ?? { offered: 0, detected: 0, dropped: 0, latencyP50Ms: null, latencyP95Ms: null };
    return { ...counts, reduced: this.busyPlan.reducedFrames(camera) };
  }

  /** Whole-frame searches sent to the detector since start, every camera (the capacity bench). */
  wholeFrameSearches(): number {
    return this.busyPlan.wholeFrameSearches();
  }

  /** The last decoded frame of a camera (patrol contact sheet, `check`). */
  latestFrame(camera: string): Frame | undefined {
    return this.runtimes.get(camera)?.lastFrame;
  }

  /** The child process pids of sources that run one (RTSP, video replay): for tests and `check`. */
  pids(): number[] {
    const sources = [...this.runtimes.values()].flatMap((r) => (r.source as { pid?: () => number | undefined }).pid?.() ?? []);
    return [...sources, ...this.clips?.pids() ?? []];
  }

  private buildCamera(camera: CameraConfig): CameraRuntime {
    const { ports, logger } = this.deps;
    const source = this.deps.sources?.get(camera.id) ?? createFrameSource(camera, ports, logger);
    const runtime: CameraRuntime = {
      config: camera,
      source,
      motion: new MotionDetector(camera.motion),
      detect: camera.detect.enabled,
      wholeFrame: new WholeFrameSchedule(camera.motion.scanEvery),
      greys: new GreyHistory(),
      lastFrame: undefined,
      nextFrame: new NextFrame(ports.clock),
      poller: undefined as unknown as CameraPoller,
    };
    runtime.poller = new CameraPoller({
      source,
      intervalMs: camera.interval,
      timeoutMs: camera.timeout,
      clock: ports.clock,
      logger: logger.child({ module: 'sampling', camera: camera.id }),
      onFrame: (frame) => {
        this.deps.onPoll?.();
        return this.onFrame(runtime, frame);
      },
      onFailure: (failure) => {
        this.deps.onPoll?.();
        this.health.failure(camera.id, failure.reason, failure.message);
      },
    });
    return runtime;
  }

  private async onFrame(r: CameraRuntime, frame: Frame): Promise<void> {
    let grey;
    try {
      grey = await decodeGrey(frame.jpeg, r.config.motion.width);
    } catch (err) {
      this.health.badImage(r.config.id, `the camera's picture is refused: ${errorMessage(err)}`);
      return;
    }
    const decoded: Frame = { ...frame, width: grey.sourceWidth, height: grey.sourceHeight };
    r.lastFrame = decoded;
    if (r.config.rtsp === undefined) this.clips?.frame(frame);
    r.nextFrame.deliver(decoded);
    this.health.feed(r.config.id, grey);
    const motion = r.motion.detect(grey);
    if (!r.detect || this.deps.detector === undefined) return;
    r.greys.add(frame.mono, grey);
    if (r.wholeFrame.due(frame.mono, motion.lightingChange)) {
      this.handoff.offer({ camera: r.config.id, mono: frame.mono, frame: decoded, regions: [] });
      return;
    }
    const tracked = this.events.lookAgain(r.config.id, decoded, (since, box) => r.greys.unchangedSince(since, box), 0.25);
    const regions = [...motion.regions, ...tracked];
    if (regions.length > 0) this.handoff.offer({ camera: r.config.id, mono: frame.mono, frame: decoded, regions });
  }

  private async detect(job: DetectionJob): Promise<void> {
    const detector = this.deps.detector;
    if (detector === undefined) return;
    const result = await detector.detect(job.frame.jpeg, this.busyPlan.options(job.camera, job.regions));
    const detections = this.deps.filterDetections?.(job.camera, result.detections) ?? result.detections;
    await this.events.observe(job.frame, detections);
  }

  private runtime(camera: string): CameraRuntime {
    const r = this.runtimes.get(camera);
    if (r === undefined) {
      throw new AgentError('camera.unknown', `no camera "${camera}" on this host (cameras: ${[...this.runtimes.keys()].join(', ') || 'none'})`);
    }
    return r;
  }

  private registerCommands(): void {
    const { link } = this.deps;
    link.registerCommand('snapshot', async ({ camera }) => this.snapshot(this.commandTarget(camera)));
    link.registerCommand('detect/set', ({ camera, enabled }) => {
      const r = this.commandTarget(camera);
      r.detect = enabled;
      this.log.info({ camera, enabled }, 'detection switched by command');
      return Promise.resolve({ camera, enabled });
    });
  }

  /** A command's camera; one this host does not have is answered `not_found`, as the contract says. */
  private commandTarget(camera: string): CameraRuntime {
    const r = this.runtimes.get(camera);
    if (r === undefined) {
      throw new CommandError('not_found', `no camera "${camera}" on this host (cameras: ${[...this.runtimes.keys()].join(', ') || 'none'})`);
    }
    return r;
  }

  /** A fresh frame (the next one sampled), privacy masks burned in, base64 in the answer. */
  private async snapshot(r: CameraRuntime): Promise<SnapshotAnswer> {
    const camera = r.config.id;
    const wait = Math.min(r.config.interval + r.config.timeout, 10_000);
    const frame = (await r.nextFrame.wait(wait)) ?? r.lastFrame;
    if (frame === undefined) throw new AgentError('camera.fault', `camera ${camera} gave no frame in the last ${wait} ms`, { details: { reason: 'timeout' } });
    const jpeg = await burnPrivacyMasks(frame.jpeg, r.config.privacyMasks);
    return {
      camera,
      capturedAt: frame.capturedAt.toISOString(),
      width: frame.width ?? null,
      height: frame.height ?? null,
      contentType: 'image/jpeg',
      jpegBase64: jpeg.toString('base64'),
    };
  }
}
