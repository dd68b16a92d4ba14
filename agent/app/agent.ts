import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { Lifecycle } from '../core/lifecycle.js';
import type { HostPorts } from '../ports/index.js';
import { DataDir, realPidAlive, type PidAlive } from '../state/data-dir.js';
import type { StationLink } from '../contract/link.js';
import { agentVersion } from '../core/version.js';
import { MqttStationLink } from '../mqtt/link.js';

export interface AgentDeps {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  pid?: number;
  pidAlive?: PidAlive;
  /** The link to the station; tests pass a MemoryStationLink (then no broker is involved). */
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
  // The link starts right after the data dir (its outbox lives there) and stops after every stage.
  const station = stationLink(deps);
  void station.link; // the stages below take it
  return [dataDir, ...station.modules];
}

/** The MQTT link built from `config.mqtt`, unless the caller passed its own (tests). */
function stationLink(deps: AgentDeps): { link: StationLink; modules: Module[] } {
  if (deps.link !== undefined) return { link: deps.link, modules: [] };
  const link = new MqttStationLink({ config: deps.config, ports: deps.ports, logger: deps.logger.child({ module: 'mqtt-link' }), version: agentVersion() });
  return { link, modules: [link] };
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
