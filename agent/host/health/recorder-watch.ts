import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { AlertBoard } from './alerts.js';
import { scanRecorder, StallDetector, type RecorderScan } from './recorder.js';

export interface RecorderReport extends Partial<RecorderScan> {
  path: string;
  /** Seconds since the recorder's storage last grew. */
  quietS: number;
  stalled: boolean;
  error?: string;
}

/** Raises recording_stalled when the recorder's storage stops growing; clears when it grows. */
export class RecorderWatch {
  private readonly detector: StallDetector;
  last: RecorderReport;

  constructor(
    private readonly config: { path: string; stalledAfter: number },
    private readonly deps: { fs: FileSystem; clock: Clock; alerts: AlertBoard; logger: Logger },
  ) {
    this.detector = new StallDetector(config.stalledAfter);
    this.last = { path: config.path, quietS: 0, stalled: false };
  }

  async check(): Promise<RecorderReport> {
    const { path, stalledAfter } = this.config;
    const { alerts, clock } = this.deps;
    const scan = await scanRecorder(this.deps.fs, path).catch((err: NodeJS.ErrnoException) => err);
    const now = clock.monotonicMs();
    // An unreadable directory is not growth: the quiet time keeps running until it reads again.
    const quietMs = scan instanceof Error ? this.detector.observe(this.lastScan(), now) : this.detector.observe(scan, now);
    const stalled = this.detector.isStalled(quietMs);
    if (stalled) {
      alerts.raise('recording_stalled', path, {
        severity: 'critical',
        message: `the recorder has written nothing to ${path} for ${Math.round(quietMs / 60_000)} min`,
        details: { quietS: Math.round(quietMs / 1000), stalledAfterS: stalledAfter / 1000, ...(scan instanceof Error ? { error: scan.code } : {}) },
      });
    } else if (!(scan instanceof Error)) {
      alerts.clear('recording_stalled', path, `the recorder is writing to ${path} again`);
    }
    if (scan instanceof Error) this.deps.logger.warn({ path, code: scan.code }, 'cannot read the recorder directory');
    this.last = {
      ...(scan instanceof Error ? { error: scan.code ?? scan.message } : scan),
      path, quietS: Math.round(quietMs / 1000), stalled,
    };
    return this.last;
  }

  private lastScan(): RecorderScan {
    const { files = 0, totalBytes = 0, newestMtimeMs = 0, truncated = false } = this.last;
    return { files, totalBytes, newestMtimeMs, truncated };
  }
}
