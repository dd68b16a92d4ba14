import type { Config } from '../config/schema.js';
import type { HealthReporter, StationLink } from '../link/contract/link.js';
import type { CameraClipsSummary, CameraDetectionSummary, CameraStatusPayload, HealthKind } from '../link/contract/v1.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../core/module.js';
import { CameraRelays } from '../host/gpio/camera-relays.js';
import { ledStateFor } from '../host/gpio/led-patterns.js';
import { StatusLed } from '../host/gpio/status-led.js';
import { TamperSwitch } from '../host/gpio/tamper-switch.js';
import { HealthMonitor } from '../host/health/monitor.js';
import type { CameraLinkQuality, DetectorSummary } from '../host/heartbeat/sources.js';
import { EventLoopMeter } from '../host/heartbeat/event-loop.js';
import { Heartbeat } from '../host/heartbeat/heartbeat.js';
import { agentVersion } from '../core/version.js';
import { PatrolReporter } from '../host/patrol/reporter.js';
import type { Frame } from '../edge/types.js';
import type { HostPorts } from '../ports/index.js';
import { ScheduledJobs, type Job } from '../host/schedule/jobs.js';
import { sweepRetention } from '../host/schedule/retention.js';
import type { DataDir } from '../host/state/data-dir.js';
import { systemdNotifier, type Notifier } from '../host/watchdog/notifier.js';
import { RestartAlert } from '../host/health/restart-alert.js';
import type { RestartHistory } from '../host/state/restart-record.js';
import { ProgressTracker } from '../host/watchdog/progress.js';
import { Watchdog } from '../host/watchdog/watchdog.js';
import { tapLink } from './link-taps.js';
import { definedProps } from '../core/defined-props.js';

/** Providers other stages will give the side modules; each is optional until its stage is merged. */
export interface StageHooks {
  /** Camera stage: the latest frame of a camera (patrol contact sheet). */
  latestFrame?: (camera: string) => Frame | undefined;
  /** Camera stage: connection quality of a camera (heartbeat). */
  cameraQuality?: (camera: string) => CameraLinkQuality | undefined;
  /** Detection stage: frames of a camera offered, detected and dropped, and the latency (heartbeat). */
  cameraDetection?: (camera: string) => CameraDetectionSummary | undefined;
  /** Clips: the video a camera holds for clips and the clips made (heartbeat). */
  cameraClips?: (camera: string) => CameraClipsSummary | undefined;
  /** Detection stage: backend and recent inference time (heartbeat). */
  detector?: () => DetectorSummary | undefined;
  /** Model updates: the installed model's version (heartbeat). */
  modelVersion?: () => string | undefined;
}

export interface HealthModules {
  /** The link with camera-status and event taps: hand this one to every stage. */
  link: StationLink;
  /** The alert board every stage raises its health alerts on (heartbeat `alerts`, patrol `openAlerts`). */
  alerts: HealthReporter;
  /** Loops register here (`progress.loop('cameras')`) and call back when they make progress. */
  progress: ProgressTracker;
  /** Health, heartbeat, GPIO, patrol and schedules, in start order. */
  modules: Module[];
  /** Must be started last: it tells systemd READY=1. */
  watchdog: Watchdog;
}

const DISK_FAULTS: readonly HealthKind[] = ['disk_low', 'disk_readonly', 'recording_stalled'];

export function buildHealthModules(deps: {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  link: StationLink;
  dataDir: DataDir;
  hooks?: StageHooks;
  notifier?: Notifier;
  /** Failed runs before this one, told to the station; `onStable` once this run stays up. */
  restarts?: { history: RestartHistory; onStable: () => Promise<void> };
}): HealthModules {
  const { config, ports, logger, dataDir, hooks = {} } = deps;
  const { clock, fs } = ports;
  const progress = new ProgressTracker(() => clock.monotonicMs());
  const cameraStatus = new Map<string, CameraStatusPayload>();
  // The taps run only after start, when both modules below exist.
  let relays: CameraRelays | undefined;
  const link = tapLink(deps.link, {
    onCameraStatus: (status) => {
      cameraStatus.set(status.camera, status);
      patrol.onCameraStatus(status);
      relays?.onCameraStatus(status);
    },
    onEvent: (event) => patrol.onEvent(event),
  });

  const health = new HealthMonitor({
    config, link, fs, clock, processes: ports.processes, logger: logger.child({ module: 'health' }), onRound: progress.loop('health'),
  });
  const eventLoop = new EventLoopMeter();
  const heartbeat = new Heartbeat({
    link, clock, logger: logger.child({ module: 'heartbeat' }), interval: config.heartbeat.interval, version: agentVersion(),
    onBeat: progress.loop('heartbeat'),
    meters: [eventLoop],
    sources: {
      host: () => health.snapshot().host,
      disks: () => health.snapshot().disks,
      alerts: () => health.snapshot().alerts,
      cameras: () => config.cameras.map((c) => {
        const quality = hooks.cameraQuality?.(c.id);
        const detection = hooks.cameraDetection?.(c.id);
        const clips = hooks.cameraClips?.(c.id);
        const status = cameraStatus.get(c.id);
        return {
          id: c.id, state: status?.state ?? 'offline', reason: status?.reason ?? null,
          ...definedProps({ quality, detection, clips }),
        };
      }),
      link: () => link.state(),
      eventLoop: () => eventLoop.read(),
      ...definedProps({ detector: hooks.detector, modelVersion: hooks.modelVersion }),
    },
  });
  const patrol = new PatrolReporter({
    link, clock, fs, logger: logger.child({ module: 'patrol' }), cameras: config.cameras, tileWidth: config.patrol.tileWidth,
    archiveDir: dataDir.path('patrol'),
    sources: {
      ...definedProps({ latestFrame: hooks.latestFrame }),
      diskTrends: () => health.diskTrends(),
      openAlerts: () => health.snapshot().alerts.map(({ kind, subject, severity, since }) => ({ kind, subject, severity, since })),
    },
  });
  const modules: Module[] = [health, heartbeat, patrol];
  if (deps.restarts !== undefined) modules.push(new RestartAlert({ ...deps.restarts, alerts: health.alerts, clock }));

  const gpioLog = logger.child({ module: 'gpio' });
  if (config.gpio.led !== undefined) {
    modules.push(new StatusLed({
      gpio: ports.gpio, clock, logger: gpioLog, config: config.gpio.led,
      state: () => ledStateFor({
        diskFault: health.snapshot().alerts.some((a) => DISK_FAULTS.includes(a.kind)),
        brokerConnected: link.state().connected,
        cameraFault: [...cameraStatus.values()].some((s) => s.state !== 'online'),
      }),
    }));
  }
  const cameraRelays = config.cameras.flatMap((c) => (c.relay === undefined ? [] : [{ camera: c.id, ...c.relay }]));
  if (cameraRelays.length > 0) {
    relays = new CameraRelays({ gpio: ports.gpio, clock, logger: gpioLog, health: health.alerts, policy: config.gpio.relay, relays: cameraRelays });
    modules.push(relays);
  }
  if (config.gpio.tamper !== undefined) {
    modules.push(new TamperSwitch({ gpio: ports.gpio, clock, logger: gpioLog, health: health.alerts, config: config.gpio.tamper }));
  }

  const jobs: Job[] = [{
    name: 'retention-sweep',
    cron: config.retention.sweep,
    run: () => sweepRetention({ fs, dataDir: config.storage.dataDir, config: config.retention, nowMs: clock.now().getTime(), logger: logger.child({ module: 'retention' }) }),
  }];
  if (config.patrol.enabled) jobs.push({ name: 'patrol-report', cron: config.patrol.at, run: () => (patrol).run() });
  modules.push(new ScheduledJobs({ scheduler: ports.scheduler, timezone: config.host.timezone, logger: logger.child({ module: 'schedule' }), jobs }));

  const watchdog = new Watchdog({
    env: ports.env, clock, logger: logger.child({ module: 'watchdog' }), progress, maxQuietMs: config.watchdog.maxQuiet,
    notifier: deps.notifier ?? systemdNotifier({ processes: ports.processes, clock, env: ports.env }),
  });
  return { link, alerts: health.alerts, progress, modules, watchdog };
}
