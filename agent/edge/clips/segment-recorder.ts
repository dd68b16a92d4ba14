import type { ChildProcess } from 'node:child_process';
import { backoffDelay } from '../../core/backoff.js';
import type { Logger } from '../../core/logger.js';
import { stripCredentials } from '../../core/redact.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { Processes } from '../../ports/process.js';
import { diskErrorOf } from './ffmpeg-job.js';
import { listSegments, type Segment } from './segment-ring.js';

export interface SegmentRecorderOptions {
  camera: string;
  dir: string;
  /** Everything after `ffmpeg`: reads the camera and writes `<dir>/%s.ts` segments by stream copy. */
  args: readonly string[];
  segmentMs: number;
  /** Segments that ended longer ago than this are deleted. */
  keepMs: number;
  fs: FileSystem;
  processes: Processes;
  clock: Clock;
  logger: Logger;
  secrets: readonly string[];
  /** The ring's disk refused a write (ENOSPC, EROFS, EACCES), or takes writes again (undefined). */
  onDisk: (code: string | undefined, detail: string) => void;
}

/**
 * Records one RTSP camera into a rolling ring of short MPEG-TS segments by stream copy (no
 * decode, no encode), in its own ffmpeg beside the sampling one: a full or read-only clips disk
 * then stops recording, never sampling and detection. Restarted with backoff when it exits or
 * no new segment appears; segments older than the ring's span are deleted.
 */
export class SegmentRecorder {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private failures = 0;
  private restartTimer: TimerHandle | undefined;
  private tick: TimerHandle | undefined;
  private stderr = '';
  private spawnedAt = 0;
  private diskCode: string | undefined;
  private held: { spanMs: number; newest: number | undefined } = { spanMs: 0, newest: undefined };

  constructor(private readonly options: SegmentRecorderOptions) {}

  async start(): Promise<void> {
    this.stopping = false;
    await this.options.fs.mkdir(this.options.dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      this.options.onDisk(err.code ?? 'EIO', `cannot create the recording ring ${this.options.dir}: ${err.message}`);
    });
    this.spawn();
    this.tick = this.options.clock.setInterval(() => void this.maintain(), Math.max(1000, this.options.segmentMs));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const { clock } = this.options;
    if (this.tick !== undefined) clock.clearInterval(this.tick);
    if (this.restartTimer !== undefined) clock.clearTimeout(this.restartTimer);
    this.child?.kill('SIGTERM');
    const child = this.child;
    const kill = clock.setTimeout(() => child?.kill('SIGKILL'), 2000);
    await this.exited;
    clock.clearTimeout(kill);
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the ring held at its last check (every segment): its span, and the age of its newest write. */
  status(): { heldS: number; lagS: number | null } {
    const { newest, spanMs } = this.held;
    const lagS = newest === undefined ? null : Math.max(0, Math.round((this.options.clock.now().getTime() - newest) / 100) / 10);
    return { heldS: Math.round(spanMs / 100) / 10, lagS };
  }

  segments(): Promise<Segment[]> {
    return listSegments(this.options.fs, this.options.dir);
  }

  private spawn(): void {
    const { processes, logger } = this.options;
    // nice: copying packets is cheap, but detection comes first.
    const child = processes.spawn('nice', ['-n', '10', 'ffmpeg', ...this.options.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.spawnedAt = this.options.clock.monotonicMs();
    this.stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-2000);
    });
    child.on('error', (err) => logger.error({ err }, 'the recording ffmpeg could not be started'));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.child = undefined;
        resolve();
        this.onExit(code, signal);
      });
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const tail = stripCredentials(this.stderr.trim().split('\n').slice(-2).join(' | '), this.options.secrets).slice(0, 300);
    const disk = diskErrorOf(this.stderr);
    if (disk !== undefined) {
      this.diskCode = disk;
      this.options.onDisk(disk, `recording ${this.options.camera} into ${this.options.dir} failed: ${tail}`);
    }
    this.failures++;
    const delay = backoffDelay(this.failures, { minMs: 1000, maxMs: 30_000 });
    this.options.logger.warn({ code, signal, restartInMs: delay, stderr: tail }, 'recording ffmpeg exited; restarting');
    this.restartTimer = this.options.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawn();
    }, delay);
  }

  /** Deletes what fell out of the ring; restarts a recorder that stopped writing segments. */
  private async maintain(): Promise<void> {
    const { clock, keepMs, segmentMs, logger } = this.options;
    let segments: Segment[];
    try {
      segments = await this.segments();
    } catch (err) {
      logger.warn({ err }, 'cannot list the recording ring');
      return;
    }
    const now = clock.now().getTime();
    for (const s of segments.slice(0, -1)) {
      if (s.end < now - keepMs) await this.options.fs.rm(s.path, { force: true }).catch(() => undefined);
    }
    const newest = segments.at(-1);
    const kept = segments.filter((s) => s.end >= now - keepMs);
    this.held = { spanMs: newest === undefined || kept[0] === undefined ? 0 : newest.end - kept[0].start, newest: newest?.end };
    if (newest !== undefined && now - newest.end < 2 * segmentMs + 1000) {
      this.failures = 0;
      if (this.diskCode !== undefined) {
        this.diskCode = undefined;
        this.options.onDisk(undefined, `recording ${this.options.camera} writes again`);
      }
      return;
    }
    const running = this.child !== undefined && clock.monotonicMs() - this.spawnedAt > Math.max(20_000, 4 * segmentMs);
    if (running) {
      logger.warn({ newestSegment: newest?.path ?? null }, 'no new recording segment; restarting the recording ffmpeg');
      this.child?.kill('SIGKILL');
    }
  }
}
