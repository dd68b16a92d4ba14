/**
 * Event level: a video sampled at 1 frame/s through the agent's own camera pipeline (motion →
 * detection on motion regions and tracked boxes → filters → EventsStage) on a FakeClock, with a
 * memory link capturing what the station would receive. Each frame is processed before the clock
 * moves on, as on a host whose detector keeps up with its cameras.
 */
import { parseConfigText } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import type { DetectorConfig } from '../../agent/config/sections/detector.js';
import { CameraPipeline } from '../../agent/app/camera-pipeline.js';
import { AlertBoard } from '../../agent/host/health/alerts.js';
import { MemoryStationLink } from '../../test/fakes/memory-link.js';
import { silentLogger, type Logger } from '../../agent/core/logger.js';
import { cameraFilter, filterDetections } from '../../agent/edge/detection/filters.js';
import type { TfDetector } from '../../agent/edge/detection/tf-detector.js';
import { MOSAIC_CELLS } from '../../agent/edge/detection/mosaic.js';
import type { Box, DetectOptions, Detection, DetectionResult, Detector, WholeFrameSearch } from '../../agent/edge/types.js';
import { FakeClock } from '../../test/fakes/clock.js';
import { FakeGpio } from '../../test/fakes/gpio.js';
import { ClockScheduler } from '../../test/fakes/scheduler.js';
import { realHostPorts, type HostPorts } from '../../agent/ports/index.js';
import { decodeVideoFrames } from '../../agent/field/sim/footage-frames.js';
import type { RaisedEvent } from './scoring.js';
import { FrameListSource } from '../../test/fakes/frame-list-source.js';

export const EVAL_CAMERA = 'eval';

/** The config the event runs use when none is given: the agent's defaults, one camera at 1 s. */
export function defaultEvalConfig(): Config {
  return parseConfigText([
    'host: { id: eval }',
    'mqtt: { url: "mqtt://127.0.0.1:1" }',
    'storage: { dataDir: /nonexistent/minwang-eval }',
    `cameras: [{ id: ${EVAL_CAMERA}, snapshot: { url: "http://127.0.0.1/" }, interval: 1s }]`,
  ].join('\n'), 'eval-defaults.yaml');
}

export interface VideoRun {
  events: RaisedEvent[];
  frames: number;
  /** The frames it ran, second by second (frame n is second n): for drawing what happened without decoding again. */
  jpegs: readonly Buffer[];
  /** Frames the motion gate sent to the detector. */
  detectedFrames: number;
  /** Model runs over those frames (one per crop). */
  inferences: number;
  /** Inferences when cells and pairs of several cameras' frames share mosaic inputs (a cell a quarter, a pair's crop a half). */
  packedInferences: number;
  detectMs: number;
}

/**
 * Counts detector calls, inferences and their time. With `busy`, every motion-region frame runs on
 * the busy plan (`detector.whenBusy`: its shrink, and the mosaic when on), as on a host that is
 * dropping frames (whole-frame searches as `whenBusy.wholeFrame` says). Frames run one at a time, so a mosaic input holds one frame's cells only, and a
 * pair's crop is placed in half an input alone (as it would be beside another frame's);
 * `packedInferences` counts each cell as the quarter input it costs when the pool packs cells of
 * several cameras' frames together, and each pair's crop as half an input.
 */
class MeteredDetector implements Detector {
  calls = 0;
  ms = 0;
  inferences = 0;
  packedInferences = 0;
  constructor(
    private readonly inner: TfDetector,
    private readonly busy: { maxShrink: number; mosaic: boolean; pairShrink: number | undefined; wholeFrame: WholeFrameSearch } | undefined,
    private readonly told?: (regions: readonly Box[] | undefined, detections: readonly Detection[]) => void,
  ) {}
  async detect(image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
    this.calls++;
    const busy = this.busy;
    const packing = busy === undefined ? {} : { ...(busy.mosaic ? { mosaic: true } : {}), ...(busy.mosaic && busy.pairShrink !== undefined ? { pairShrink: busy.pairShrink } : {}) };
    const whole = options?.regions === undefined || options.regions.length === 0;
    let plan = options;
    if (busy !== undefined && !whole) plan = { ...options, maxShrink: busy.maxShrink, ...packing };
    else if (busy !== undefined && busy.wholeFrame !== 'tiles') plan = { ...options, still: busy.wholeFrame, ...packing };
    const before = this.inner.inferences();
    const mosaics = this.inner.mosaics();
    const [answer] = await this.inner.detectBatch([{ image, options: plan ?? {} }], { lone: 'half' });
    if (answer === undefined) throw new Error('no answer from the detector');
    if ('error' in answer) throw answer.error instanceof Error ? answer.error : new Error(String(answer.error));
    const result = answer.result;
    const after = this.inner.mosaics();
    const runs = this.inner.inferences() - before;
    this.inferences += runs;
    this.packedInferences += runs - (after.inputs - mosaics.inputs) + (after.cells - mosaics.cells) / MOSAIC_CELLS;
    this.ms += result.ms;
    this.told?.(options?.regions, result.detections);
    return result;
  }
}

export interface VideoRunOptions {
  maxSeconds?: number | undefined;
  /** Run every motion-region frame on the busy plan (as when frames are being dropped). */
  busyPlan?: boolean;
  /** On the busy plan, without the mosaic (the busy plan's merged crops only). */
  noMosaic?: boolean;
  /** On the busy plan, the mosaic without pairs. */
  noPairs?: boolean;
  /** On the busy plan, how whole-frame searches run (default: `whenBusy.wholeFrame`). */
  wholeFrame?: WholeFrameSearch | undefined;
  /** Where the pipeline logs (default: nowhere). */
  logger?: Logger | undefined;
  /** Told of every detector call: the video second, the motion regions asked about (none: the whole frame) and what came back. */
  onDetect?: ((call: DetectCall) => void) | undefined;
}

export interface DetectCall {
  t: number;
  regions: readonly Box[] | undefined;
  detections: readonly Detection[];
  /** Those of `detections` the camera's filter (thresholds, zones, masks) passes on to the events stage. */
  kept: readonly Detection[];
}

export async function runVideo(path: string, config: Config, detectorConfig: DetectorConfig, detector: TfDetector, options: VideoRunOptions = {}): Promise<VideoRun> {
  const { maxSeconds } = options;
  const frames = await decodeVideoFrames(path, { fps: 1, ...(maxSeconds === undefined ? {} : { maxFrames: maxSeconds }) });
  const clock = new FakeClock(new Date('2026-06-01T12:00:00Z'));
  const started = clock.now().getTime();
  const ports: HostPorts = { ...realHostPorts(), clock, scheduler: new ClockScheduler(clock), gpio: new FakeGpio() };
  const camera = config.cameras.find((c) => c.id === EVAL_CAMERA) ?? config.cameras[0];
  if (camera === undefined) throw new Error('the eval config has no camera');
  const evalConfig: Config = { ...config, detector: detectorConfig, cameras: [{ ...camera, interval: 1000 }] };
  const source = new FrameListSource(camera.id, frames, clock);
  const link = new MemoryStationLink();
  const { whenBusy } = detectorConfig;
  const busy = {
    maxShrink: whenBusy.maxShrink,
    mosaic: whenBusy.mosaic && options.noMosaic !== true,
    pairShrink: whenBusy.pairs && options.noPairs !== true ? whenBusy.pairShrink : undefined,
    wholeFrame: options.wholeFrame ?? whenBusy.wholeFrame,
  };
  const { onDetect } = options;
  const filter = cameraFilter(detectorConfig, camera.detect);
  const told = onDetect === undefined ? undefined : (regions: readonly Box[] | undefined, detections: readonly Detection[]) =>
    onDetect({ t: (clock.now().getTime() - started) / 1000, regions, detections, kept: filterDetections(detections, filter) });
  const metered = new MeteredDetector(detector, options.busyPlan === true ? busy : undefined, told);
  const pipeline = new CameraPipeline({
    config: evalConfig, ports, logger: options.logger ?? silentLogger(), link, detector: metered,
    alerts: new AlertBoard({ link, clock, logger: silentLogger() }),
    filterDetections: (_camera, found) => filterDetections(found, filter),
    sources: new Map([[camera.id, source]]),
  });
  const modules = pipeline.modules();
  for (const m of modules) await m.start();
  try {
    for (let i = 0; i < frames.length; i++) {
      await settle(() => source.served > i && pipeline.latestFrame(camera.id)?.jpeg === frames[i]
        && pipeline.handoff.stats().processed === pipeline.handoff.stats().offered);
      await clock.advance(1000);
    }
    await clock.advance(camera.events.endAfter + 2000);
  } finally {
    for (const m of [...modules].reverse()) await m.stop();
  }
  const events = link.events
    .filter((e) => e.type === 'new' && e.camera === camera.id)
    .map((e) => ({ t: (Date.parse(e.ts) - started) / 1000, label: e.label, score: e.score, box: e.box }));
  return { events, frames: frames.length, jpegs: frames, detectedFrames: metered.calls, inferences: metered.inferences, packedInferences: metered.packedInferences, detectMs: metered.ms };
}

/** Waits in real time (detection is real work) until `done` holds. */
async function settle(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the pipeline did not finish a frame within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
