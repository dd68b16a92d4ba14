import type { StationLink } from '../../link/contract/link.js';
import type { HeartbeatBody } from '../../link/contract/v1.js';
import { definedProps } from '../../core/defined-props.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { HeartbeatSources } from './sources.js';

export interface HeartbeatDeps {
  link: StationLink;
  clock: Clock;
  logger: Logger;
  interval: number;
  version: string;
  sources: HeartbeatSources;
  /** Called after each heartbeat is handed to the link: proof for the watchdog. */
  onBeat?: () => void;
  /** Meters that run only while the heartbeat does (the event-loop meter), started before the first beat. */
  meters?: readonly Module[];
}

/**
 * Every `heartbeat.interval`, gathers the sources into one retained `heartbeat` message.
 * `agentUptimeS` is measured on the monotonic clock, so a clock jump at boot (no RTC until
 * NTP syncs) cannot make it negative or huge; the link adds `seq`.
 */
export class Heartbeat implements Module {
  readonly name = 'heartbeat';
  private timer: TimerHandle | undefined;
  private startedMono = 0;

  constructor(private readonly deps: HeartbeatDeps) {}

  async start(): Promise<void> {
    for (const meter of this.deps.meters ?? []) await meter.start();
    this.startedMono = this.deps.clock.monotonicMs();
    this.beat();
    this.timer = this.deps.clock.setInterval(() => this.beat(), this.deps.interval);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    for (const meter of this.deps.meters ?? []) await meter.stop();
  }

  beat(): void {
    try {
      this.deps.link.setHeartbeat(this.assemble());
      this.deps.onBeat?.();
    } catch (err) {
      this.deps.logger.error({ err }, 'heartbeat failed');
    }
  }

  assemble(): HeartbeatBody {
    const { clock, sources, version } = this.deps;
    const host = sources.host?.() ?? null;
    const agentUptimeS = Math.round((clock.monotonicMs() - this.startedMono) / 1000);
    const link = sources.link?.();
    const model = sources.modelVersion?.();
    return {
      ts: clock.now().toISOString(),
      uptimeS: host?.uptimeS ?? agentUptimeS,
      agentUptimeS,
      version,
      intervalS: this.deps.interval / 1000,
      ...(host === null ? {} : { host }),
      ...definedProps({
        disks: sources.disks?.(), alerts: sources.alerts?.(), cameras: sources.cameras?.(),
        detector: sources.detector?.(), eventLoop: sources.eventLoop?.(),
      }),
      ...(link === undefined ? {} : { outbox: { connected: link.connected, depth: link.outboxDepth, dropped: link.dropped } }),
      ...(model === undefined ? {} : { model: { version: model } }),
    };
  }
}
