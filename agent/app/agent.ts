import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { Lifecycle } from '../core/lifecycle.js';
import type { HostPorts } from '../ports/index.js';
import { DataDir } from '../host/state/data-dir.js';
import { realIdentifyProcess, type IdentifyProcess } from '../host/state/process-identity.js';
import type { RestartHistory } from '../host/state/restart-record.js';
import type { StationLink } from '../link/contract/link.js';
import { buildHealthModules, type StageHooks } from './health-modules.js';
import type { Notifier } from '../host/watchdog/notifier.js';
import type { Box, Detection, Detector, FrameSource } from '../edge/types.js';
import { CameraPipeline } from './camera-pipeline.js';
import { agentVersion } from '../core/version.js';
import { MqttStationLink } from '../link/mqtt/link.js';
import { createDetectorPool } from '../edge/detection/from-config.js';
import { cameraFilter, filterDetections, zonesAt, type CameraFilter } from '../edge/detection/filters.js';
import type { DetectorPool } from '../edge/detection/pool.js';
import { MAX_BATCH } from '../edge/detection/worker-protocol.js';
import { DetectorLoad, DetectorMeter } from './detector-meter.js';
import { buildModelUpdater } from './model-update.js';
import { definedProps } from '../core/defined-props.js';

export interface AgentDeps {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  pid?: number;
  identifyProcess?: IdentifyProcess;
  /** The link to the station; tests pass a MemoryStationLink (then no broker is involved). */
  link?: StationLink;
  /** Providers from stages the health side modules read (latest frame, detector, model). */
  hooks?: StageHooks;
  /** Failed runs before this one (from the data dir's restart record), reported as `agent_restarting`. */
  restarts?: { history: RestartHistory; onStable: () => Promise<void> };
  /** systemd notifications; default: the systemd-notify binary. Tests inject one. */
  notifier?: Notifier;
  /** Longest one module may take to stop; shutdown is bounded by modules × this. */
  stopTimeoutMs?: number;
  /** The object detector; without one, cameras are still sampled and watched, but no events are sent. */
  detector?: Detector;
  /** How many frames the detector takes at once (its pool size; default 1). */
  detectorConcurrency?: number;
  /** Per-camera filter of raw detections; default: each camera's `detect` thresholds, zones and masks. */
  filterDetections?: (camera: string, detections: Detection[]) => Detection[];
  /** Names of the zones a box lies in, for events' `zones`; default: each camera's named `detect.zones`. */
  zonesOf?: (camera: string, box: Box) => string[];
  /** Frame sources by camera id, replacing the configured ones (tests, the demo). */
  sources?: ReadonlyMap<string, FrameSource>;
  /** Receives the camera pipeline once built, e.g. for the heartbeat's `cameras.summary()`. */
  onCameraPipeline?: (pipeline: CameraPipeline) => void;
  /** Receives the detector pool once built (the capacity bench reads its counters). */
  onDetectorPool?: (pool: DetectorPool) => void;
}

export interface Agent {
  readonly modules: readonly Module[];
  start(): Promise<void>;
  /** Stops every started module in reverse order; returns the names that failed to stop. */
  stop(): Promise<string[]>;
}

/**
 * The composition root: the only place that knows every module. It reads as the start order,
 * one step per line, and so as the data flow `cameras → sampling → motion → detection →
 * tracking/events → outbox → mqtt` with health and model updates beside it. Modules never import
 * each other; they are wired here by callbacks.
 */
export function buildModules(deps: AgentDeps): Module[] {
  const start = new StartSteps(deps);
  return [
    start.dataDir(),
    ...start.stationLink(),
    ...start.hostHealth(),
    ...start.modelUpdates(),
    ...start.detector(),
    ...start.cameraPipeline(),
    start.watchdog(),
  ];
}

/** Builds a part on first use, so each step can ask for what it needs whatever the order. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** Each step returns the modules it starts; the parts steps share are built once, on first use. */
class StartSteps {
  constructor(private readonly deps: AgentDeps) {}

  /** Creates and locks `storage.dataDir`. */
  dataDir(): Module {
    return this.dir();
  }

  /** The link starts right after the data dir (its outbox lives there) and stops after every stage. */
  stationLink(): Module[] {
    return this.station().modules;
  }

  /** Health, heartbeat, patrol, schedules and GPIO sit beside the flow. */
  hostHealth(): Module[] {
    return this.side().modules;
  }

  /** Signed bundles staged, self-tested, switched in and tried; it tells the pool which model to load. */
  modelUpdates(): Module[] {
    const updater = this.updater();
    return updater === undefined ? [] : [updater];
  }

  /** Worker threads holding the model. */
  detector(): Module[] {
    const detection = this.detection();
    return detection === undefined ? [] : [detection.pool];
  }

  /** cameras → sampling → motion → detection → tracking/events, with camera health beside them. */
  cameraPipeline(): Module[] {
    const cameras = this.cameras();
    return this.deps.config.cameras.length === 0 ? [] : cameras.modules();
  }

  /** Last: its READY=1 to systemd means every module before it has started. */
  watchdog(): Module {
    return this.side().watchdog;
  }

  private readonly dir = once(() => {
    const { config, ports, logger } = this.deps;
    return new DataDir({
      dir: config.storage.dataDir,
      fs: ports.fs,
      logger: logger.child({ module: 'data-dir' }),
      pid: this.deps.pid ?? process.pid,
      identify: this.deps.identifyProcess ?? realIdentifyProcess,
    });
  });

  private readonly station = once(() => stationLink(this.deps));

  /** `side().link` tees camera status and events to patrol, relays and the LED; every stage gets that link. */
  private readonly side = once(() => {
    const { config, ports, logger } = this.deps;
    return buildHealthModules({
      config, ports, logger, dataDir: this.dir(), link: this.station().link,
      hooks: { ...this.stageHooks(), ...this.deps.hooks },
      ...definedProps({ notifier: this.deps.notifier, restarts: this.deps.restarts }),
    });
  });

  /** What the side modules read from the stages; `cameras()` is read only after start. */
  private stageHooks(): StageHooks {
    const meter = this.meter();
    const updater = this.updater();
    const detection = this.detection();
    const load = this.load();
    return {
      latestFrame: (camera) => this.cameras().latestFrame(camera),
      cameraQuality: (camera) => this.cameras().quality(camera),
      cameraClips: (camera) => this.cameras().clips?.summary(camera),
      ...(meter === undefined ? {} : {
        cameraDetection: (camera: string) => this.cameras().detection(camera),
        detector: () => ({
          backend: detection === undefined ? 'injected' : detection.pool.stats().backend ?? 'loading',
          avgMs: meter.avgMs(),
          ...load?.read(),
        }),
      }),
      ...(updater === undefined ? {} : { modelVersion: () => updater.modelVersion() }),
    };
  }

  /** Built only when no detector is injected and some camera detects. */
  private readonly detection = once(() => {
    if (this.deps.detector !== undefined) return undefined;
    const detection = buildDetection(this.deps.config, this.deps.logger);
    if (detection !== undefined) this.deps.onDetectorPool?.(detection.pool);
    return detection;
  });

  private readonly updater = once(() => {
    const detection = this.detection();
    const { config, ports, logger } = this.deps;
    return detection === undefined ? undefined : buildModelUpdater({
      config, ports, logger, link: this.station().link, pool: detection.pool,
      // The board is built with the health modules, which themselves ask the updater for the model version:
      // reach it when an alert happens (after both are built), not now.
      alerts: { raise: (...args) => this.side().alerts.raise(...args), clear: (...args) => this.side().alerts.clear(...args) },
    });
  });

  /** The detector the cameras use, metered for the heartbeat: injected, or the pool behind the updater. */
  private readonly meter = once(() => {
    const detection = this.detection();
    const detector = this.deps.detector ?? (detection === undefined ? undefined : this.updater()?.watch(detection.pool));
    return detector === undefined ? undefined : new DetectorMeter(detector);
  });

  private readonly load = once(() => {
    const detection = this.detection();
    const clock = this.deps.ports.clock;
    return detection === undefined ? undefined : new DetectorLoad(() => detection.pool.stats(), () => clock.monotonicMs());
  });

  /** Each camera's thresholds, zones and masks judge what any detector finds and name the zones events report. */
  private readonly cameras = once(() => {
    const { config, ports, logger } = this.deps;
    const filters = cameraFilters(config);
    const detection = this.detection();
    const side = this.side();
    const cameras = new CameraPipeline({
      config, ports, logger, link: side.link, alerts: side.alerts,
      detector: this.meter(),
      // Every worker busy, and one frame more waiting at the pool, so no worker waits on the main thread.
      detectorConcurrency: this.deps.detectorConcurrency ?? (detection === undefined ? 1 : detection.pool.size + 1),
      // While busy frames are packed into mosaics and that saves inferences, each worker takes up to MAX_BATCH frames at once.
      detectorMosaic: detection === undefined || !config.detector.whenBusy.mosaic ? undefined
        : { concurrency: detection.pool.size * (MAX_BATCH - 1), pays: () => detection.pool.mosaicPays() },
      filterDetections: this.deps.filterDetections ?? ((camera, found) => {
        const filter = filters.get(camera);
        return filter === undefined ? [] : filterDetections(found, filter);
      }),
      zonesOf: this.deps.zonesOf ?? ((camera, box) => {
        const filter = filters.get(camera);
        return filter === undefined ? [] : zonesAt(box, filter);
      }),
      sources: this.deps.sources,
      onPoll: config.cameras.length === 0 ? undefined : side.progress.loop('cameras'),
    });
    this.deps.onCameraPipeline?.(cameras);
    return cameras;
  });
}

/** The MQTT link built from `config.mqtt`, unless the caller passed its own (tests). */
function stationLink(deps: AgentDeps): { link: StationLink; modules: Module[] } {
  if (deps.link !== undefined) return { link: deps.link, modules: [] };
  const link = new MqttStationLink({ config: deps.config, ports: deps.ports, logger: deps.logger.child({ module: 'mqtt-link' }), version: agentVersion() });
  return { link, modules: [link] };
}

/** The detection stage: a worker pool (also the Module that owns the threads). */
export interface DetectionStage {
  pool: DetectorPool;
}

/** Built only when some camera detects: each worker holds its own copy of the model. */
export function buildDetection(config: Config, logger: Logger): DetectionStage | undefined {
  const detecting = config.cameras.filter((c) => c.detect.enabled);
  if (detecting.length === 0) return undefined;
  return { pool: createDetectorPool({ detector: config.detector, cameras: detecting.map((c) => c.detect), logger }) };
}

/** Every camera's filter (also those that start with detection off, for `cmd/detect/set`). */
function cameraFilters(config: Config): ReadonlyMap<string, CameraFilter> {
  return new Map(config.cameras.map((c) => [c.id, cameraFilter(config.detector, c.detect)]));
}

export function createAgent(deps: AgentDeps, modules: readonly Module[] = buildModules(deps)): Agent {
  const lifecycle = new Lifecycle(modules, {
    clock: deps.ports.clock,
    logger: deps.logger,
    stopTimeoutMs: deps.stopTimeoutMs ?? 5000,
  });
  return {
    modules,
    start: () => lifecycle.start(),
    stop: () => lifecycle.stop(),
  };
}
