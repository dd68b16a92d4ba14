import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { Lifecycle } from '../core/lifecycle.js';
import type { HostPorts } from '../ports/index.js';
import { DataDir, realPidAlive, type PidAlive } from '../state/data-dir.js';
import type { StationLink } from '../contract/link.js';
import { MemoryStationLink } from '../contract/memory-link.js';
import { createDetectorPool } from '../detection/from-config.js';
import { cameraFilter, type CameraFilter } from '../detection/filters.js';
import type { DetectorPool } from '../detection/pool.js';

export interface AgentDeps {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  pid?: number;
  pidAlive?: PidAlive;
  /** The link to the station; tests pass a MemoryStationLink. */
  link?: StationLink;
  /** Longest one module may take to stop; shutdown is bounded by modules × this. */
  stopTimeoutMs?: number;
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
  const link = deps.link ?? new MemoryStationLink();
  void link;
  const detection = buildDetection(config, logger);
  // To connect: cameras → detection.pool.detect(jpeg, {regions}) → filterDetections(result.detections, detection.filters.get(camera)) → tracking.
  return detection === undefined ? [dataDir] : [dataDir, detection.pool];
}

/** The detection stage: a worker pool (also the Module that owns the threads) and each camera's filter. */
export interface DetectionStage {
  pool: DetectorPool;
  filters: ReadonlyMap<string, CameraFilter>;
}

/** Built only when some camera detects: each worker holds its own copy of the model. */
export function buildDetection(config: Config, logger: Logger): DetectionStage | undefined {
  const cameras = config.cameras.filter((c) => c.detect.enabled);
  if (cameras.length === 0) return undefined;
  return {
    pool: createDetectorPool({ detector: config.detector, cameras: cameras.map((c) => c.detect), logger }),
    filters: new Map(cameras.map((c) => [c.id, cameraFilter(config.detector, c.detect)])),
  };
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
