import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { Lifecycle } from '../core/lifecycle.js';
import type { HostPorts } from '../ports/index.js';
import { DataDir, realPidAlive, type PidAlive } from '../state/data-dir.js';
import type { StationLink } from '../contract/link.js';
import { MemoryStationLink } from '../contract/memory-link.js';
import { buildHealthModules, type StageHooks } from './health-modules.js';
import type { Notifier } from '../watchdog/notifier.js';
import type { Box, Detection, Detector, FrameSource } from '../pipeline/types.js';
import { CameraPipeline } from './camera-pipeline.js';

export interface AgentDeps {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  pid?: number;
  pidAlive?: PidAlive;
  /** The link to the station; tests pass a MemoryStationLink. */
  link?: StationLink;
  /** Providers from stages the health side modules read (latest frame, detector, model). */
  hooks?: StageHooks;
  /** systemd notifications; default: the systemd-notify binary. Tests inject one. */
  notifier?: Notifier;
  /** Longest one module may take to stop; shutdown is bounded by modules × this. */
  stopTimeoutMs?: number;
  /** The object detector; without one, cameras are still sampled and watched, but no events are sent. */
  detector?: Detector;
  /** How many frames the detector takes at once (its pool size; default 1). */
  detectorConcurrency?: number;
  /** Per-camera filter of raw detections (zones, masks, minimum scores); identity when absent. */
  filterDetections?: (camera: string, detections: Detection[]) => Detection[];
  /** Names of the zones a box lies in, for events' `zones`; none when absent. */
  zonesOf?: (camera: string, box: Box) => string[];
  /** Frame sources by camera id, replacing the configured ones (tests, the demo). */
  sources?: ReadonlyMap<string, FrameSource>;
  /** Receives the camera pipeline once built, e.g. for the heartbeat's `cameras.summary()`. */
  onCameraPipeline?: (pipeline: CameraPipeline) => void;
}

export interface Agent {
  readonly modules: readonly Module[];
  start(): Promise<void>;
  /** Stops every started module in reverse order; returns the names that failed to stop. */
  stop(): Promise<string[]>;
}

/**
 * The composition root: the only place that knows every module. It reads as the data flow,
 * `cameras → sampling → motion → detection → tracking/events → outbox → mqtt`, with health and
 * model updates beside it. Modules never import each other; they are wired here by callbacks.
 */
export function buildModules(deps: AgentDeps): Module[] {
  const { config, ports, logger } = deps;
  const dataDir = new DataDir({
    dir: config.storage.dataDir,
    fs: ports.fs,
    logger: logger.child({ module: 'data-dir' }),
    pid: deps.pid ?? process.pid,
    pidAlive: deps.pidAlive ?? realPidAlive,
  });
  // Until the MQTT link is built, messages stay in memory and nothing reaches a station.
  // Health, heartbeat, GPIO and patrol sit beside the flow; `side.link` tees camera status and
  // events to them, so every stage is handed that link. (Their hooks read `cameras` only after start.)
  const side = buildHealthModules({
    config, ports, logger, dataDir, link: deps.link ?? new MemoryStationLink(),
    hooks: {
      latestFrame: (camera) => cameras.latestFrame(camera),
      cameraQuality: (camera) => cameras.quality(camera),
      ...deps.hooks,
    },
    ...(deps.notifier === undefined ? {} : { notifier: deps.notifier }),
  });
  // cameras → sampling → motion → detection → tracking/events, with camera health beside them.
  const cameras = new CameraPipeline({
    config, ports, logger, link: side.link,
    detector: deps.detector,
    detectorConcurrency: deps.detectorConcurrency,
    filterDetections: deps.filterDetections,
    zonesOf: deps.zonesOf,
    sources: deps.sources,
    onPoll: config.cameras.length === 0 ? undefined : side.progress.loop('cameras'),
  });
  deps.onCameraPipeline?.(cameras);
  const cameraModules = config.cameras.length === 0 ? [] : cameras.modules();
  // The watchdog stays last: its READY=1 means every module before it has started.
  return [dataDir, ...side.modules, ...cameraModules, side.watchdog];
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
