import { join } from 'node:path';
import type { Polygon } from '../../config/sections/regions.js';
import type { StationLink } from '../../link/contract/link.js';
import type { CameraStatusPayload, EventBody, PatrolBody, PatrolDiskTrend } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Frame } from '../../edge/types.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import { AvailabilityLog, DAY_MS } from './availability.js';
import { contactSheet } from './contact-sheet.js';
import { EventCounter } from './event-counter.js';

export interface PatrolCameraConfig {
  id: string;
  name?: string | undefined;
  privacyMasks: readonly Polygon[];
}

/** Narrow providers from the composition root; each is optional until its stage exists. */
export interface PatrolSources {
  /** The camera stage's latest frame of a camera. */
  latestFrame?: (camera: string) => Frame | undefined;
  diskTrends?: () => PatrolDiskTrend[];
  openAlerts?: () => NonNullable<PatrolBody['openAlerts']>;
}

export interface PatrolDeps {
  link: StationLink;
  clock: Clock;
  fs: FileSystem;
  logger: Logger;
  cameras: readonly PatrolCameraConfig[];
  tileWidth: number;
  /** Where a copy of each report and sheet is kept for the installer (swept by retention). */
  archiveDir?: string;
  sources: PatrolSources;
}

/**
 * The daily patrol: what a person walking the village would check. Availability and events are
 * recorded here from the feeds the composition root tees in (`onCameraStatus`, `onEvent`);
 * `run()` makes one report and its contact sheet and hands both to the link. Also on command
 * `patrol/run`.
 */
export class PatrolReporter implements Module {
  readonly name = 'patrol';
  readonly availability: AvailabilityLog;
  readonly events: EventCounter;

  constructor(private readonly deps: PatrolDeps) {
    const mono = () => deps.clock.monotonicMs();
    this.availability = new AvailabilityLog(mono, deps.cameras.map((c) => c.id));
    this.events = new EventCounter(mono);
  }

  start(): Promise<void> {
    this.deps.link.registerCommand('patrol/run', async () => {
      const report = await this.run();
      return { id: report.id, cameras: report.cameras?.length ?? 0, sheetBytes: report.sheetBytes };
    });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  onCameraStatus(status: CameraStatusPayload): void {
    this.availability.onCameraStatus(status);
  }

  onEvent(event: EventBody): void {
    this.events.onEvent(event);
  }

  async run(): Promise<PatrolBody> {
    const { clock, cameras, sources, tileWidth, link } = this.deps;
    const now = clock.now();
    const id = `patrol-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
    const frames = cameras.map((camera) => sources.latestFrame?.(camera.id));
    const summaries = cameras.map((camera, i) => {
      const summary = this.availability.summary(camera.id);
      return {
        id: camera.id,
        name: camera.name ?? camera.id,
        state: summary.state,
        reason: summary.reason,
        availabilityPercent: summary.availabilityPercent,
        seconds: summary.seconds,
        faults: summary.faults,
        eventsPerLabel: this.events.perLabel(camera.id),
        picture: frames[i] !== undefined,
      };
    });
    const sheet = await contactSheet(
      cameras.map((camera, i) => ({
        id: camera.id, name: summaries[i]?.name ?? camera.id, state: summaries[i]?.state ?? 'unknown', jpeg: frames[i]?.jpeg, privacyMasks: camera.privacyMasks,
      })),
      tileWidth,
    );
    const report: PatrolBody = {
      ts: now.toISOString(),
      id,
      windowS: DAY_MS / 1000,
      cameras: summaries,
      eventsPerLabel: this.events.perLabel(),
      disks: sources.diskTrends?.() ?? [],
      openAlerts: sources.openAlerts?.() ?? [],
      sheetBytes: sheet.length,
    };
    await link.publishPatrol(report, sheet);
    this.deps.logger.info({ id, cameras: summaries.length, sheetBytes: sheet.length }, 'patrol report published');
    await this.archive(report, sheet);
    return report;
  }

  /** Best effort: a full or read-only data dir must not stop the report reaching the station. */
  private async archive(report: PatrolBody, sheet: Buffer): Promise<void> {
    const { archiveDir, fs, logger } = this.deps;
    if (archiveDir === undefined) return;
    try {
      await fs.mkdir(archiveDir, { recursive: true });
      await fs.writeFile(join(archiveDir, `${report.id}.json`), `${JSON.stringify(report)}\n`);
      await fs.writeFile(join(archiveDir, `${report.id}.jpg`), sheet);
    } catch (err) {
      logger.warn({ err, dir: archiveDir }, 'could not keep a copy of the patrol report');
    }
  }
}
