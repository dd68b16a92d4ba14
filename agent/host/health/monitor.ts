import type { Config } from '../../config/schema.js';
import type { DiskConfig } from '../../config/sections/health.js';
import type { StationLink } from '../../link/contract/link.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Processes } from '../../ports/process.js';
import { AlertBoard, type ActiveAlert } from './alerts.js';
import { DiskTrendLog, type DiskTrend } from './disk-trend.js';
import { DiskWatch, type DiskReport } from './disk-watch.js';
import { HostStatsReader, type HostPaths, type HostStats } from './host-stats.js';
import { RecorderWatch, type RecorderReport } from './recorder-watch.js';
import { definedProps } from '../../core/defined-props.js';

export interface HealthSnapshot {
  disks: DiskReport[];
  recorder: RecorderReport | null;
  host: HostStats | null;
  alerts: ActiveAlert[];
}

export interface HealthMonitorDeps {
  config: Pick<Config, 'health' | 'storage'> & Partial<Pick<Config, 'clips'>>;
  link: StationLink;
  fs: FileSystem;
  clock: Clock;
  processes: Processes;
  logger: Logger;
  hostPaths?: HostPaths;
  /** Called after every completed round: the watchdog's proof that this loop is alive. */
  onRound?: () => void;
}

const CLOCK_GRACE_S = 600;
const OVERHEAT_CLEAR_MARGIN_C = 5;

/**
 * Host health: disks (space, inodes, write probe), the recorder, temperature and clock, checked
 * every `health.probeInterval`. Alerts are raised and cleared on the link; `snapshot()` feeds
 * the heartbeat, the status LED and the patrol report. A round never throws: a broken disk is
 * what this module exists to report.
 */
export class HealthMonitor implements Module {
  readonly name = 'health';
  readonly alerts: AlertBoard;
  readonly trend = new DiskTrendLog();
  private readonly disks: DiskWatch[];
  private readonly recorder: RecorderWatch | undefined;
  private readonly host: HostStatsReader;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private hostStats: HostStats | null = null;

  constructor(private readonly deps: HealthMonitorDeps) {
    const { config, fs, clock, link, logger } = deps;
    this.alerts = new AlertBoard({ link, clock, logger });
    const hysteresisPercent = config.health.hysteresisPercent;
    this.disks = watchedDisks(config).map((disk) => new DiskWatch(disk, { fs, alerts: this.alerts, hysteresisPercent }));
    const recorder = config.health.recorder;
    this.recorder = recorder === undefined ? undefined : new RecorderWatch(recorder, { fs, clock, alerts: this.alerts, logger });
    this.host = new HostStatsReader({ fs, clock, processes: deps.processes, vcgencmd: 'vcgencmd', ...definedProps({ paths: deps.hostPaths }) });
  }

  start(): Promise<void> {
    this.timer = this.deps.clock.setInterval(() => void this.round(), this.deps.config.health.probeInterval);
    void this.round();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One full check; concurrent calls share the round in progress. */
  round(): Promise<void> {
    this.running ??= this.checkAll().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Resolves when no round is in progress (tests with a fake clock and real disks wait on it). */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  snapshot(): HealthSnapshot {
    return {
      disks: this.disks.map((d) => d.last),
      recorder: this.recorder?.last ?? null,
      host: this.hostStats,
      alerts: this.alerts.list(),
    };
  }

  diskTrends(): DiskTrend[] {
    return this.trend.trends();
  }

  private async checkAll(): Promise<void> {
    try {
      for (const disk of this.disks) {
        const report = await disk.check();
        if (report.freeBytes !== undefined) {
          this.trend.record(report.path, { ts: this.deps.clock.now().toISOString(), mono: this.deps.clock.monotonicMs(), freeBytes: report.freeBytes });
        }
      }
      await this.recorder?.check();
      this.hostStats = await this.host.read();
      this.checkHost(this.hostStats);
      this.deps.onRound?.();
    } catch (err) {
      this.deps.logger.error({ err }, 'health round failed');
    }
  }

  private checkHost(stats: HostStats): void {
    const { overheatC } = this.deps.config.health;
    const temp = stats.cpuTempC;
    if (temp !== null && temp >= overheatC) {
      this.alerts.raise('overheat', 'host', { severity: 'warning', message: `CPU at ${temp} °C (limit ${overheatC} °C)`, details: { cpuTempC: temp, throttling: stats.throttling } });
    } else if (temp !== null && temp < overheatC - OVERHEAT_CLEAR_MARGIN_C) {
      this.alerts.clear('overheat', 'host', `CPU cooled to ${temp} °C`);
    }
    if (stats.clock.state === 'unsynchronized' && stats.clock.forS >= CLOCK_GRACE_S) {
      this.alerts.raise('clock_unsynchronized', 'host', { severity: 'warning', message: `the clock has not synchronised for ${stats.clock.forS} s; timestamps may be wrong` });
    } else if (stats.clock.state === 'synchronized') {
      this.alerts.clear('clock_unsynchronized', 'host', 'the clock is synchronised');
    }
  }
}

/** The configured disks, plus the data dir and the clips dir with default thresholds unless they are listed. */
export function watchedDisks(config: Pick<Config, 'health' | 'storage'> & Partial<Pick<Config, 'clips'>>): DiskConfig[] {
  const disks = [...config.health.disks];
  const clips = config.clips?.enabled === true && config.clips.dir !== undefined ? [config.clips.dir] : [];
  for (const path of [...clips, config.storage.dataDir]) {
    if (!disks.some((d) => d.path === path)) disks.unshift({ path, minFreePercent: 10, minFreeInodesPercent: 5, writeProbe: true });
  }
  return disks;
}
