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
  const side = buildHealthModules({
    config, ports, logger, dataDir, link: deps.link ?? new MemoryStationLink(),
    ...(deps.hooks === undefined ? {} : { hooks: deps.hooks }),
    ...(deps.notifier === undefined ? {} : { notifier: deps.notifier }),
  });
  // Stages get `side.link` (it tees camera status and events to patrol, relays and the LED) and
  // a progress callback each, e.g. `side.progress.loop('cameras')`, `side.progress.loop('outbox')`.
  // The watchdog stays last: its READY=1 means every module before it has started.
  return [dataDir, ...side.modules, side.watchdog];
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
