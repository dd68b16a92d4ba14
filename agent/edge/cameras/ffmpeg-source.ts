import type { ChildProcess } from 'node:child_process';
import type { CameraFaultReason } from '../../link/contract/v1.js';
import { cameraFault } from '../../core/camera-fault.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Processes } from '../../ports/process.js';
import type { Frame, FrameSource } from '../types.js';
import { JpegSplitter } from './jpeg-splitter.js';
import { backoffDelay } from '../../core/backoff.js';
import { stripCredentials } from '../../core/redact.js';

export interface FfmpegSourceOptions {
  camera: string;
  /** Everything after `ffmpeg`; must write JPEGs to stdout (image2pipe). */
  args: readonly string[];
  processes: Processes;
  clock: Clock;
  logger: Logger;
  /** No frame for this long: the child is killed and restarted. */
  stallMs: number;
  /** Longest wait for the first frame after a (re)start: connecting and probing take a while. Default max(stallMs, 15 s). */
  startupMs?: number;
  /** false for footage played once: its end is not a failure to restart from. */
  restartOnExit?: boolean;
  command?: string;
  /** SIGTERM, then SIGKILL after this long. */
  killGraceMs?: number;
  backoff?: { minMs: number; maxMs: number };
  random?: () => number;
  /** Passwords in its command line: masked in every stderr line kept (ffmpeg prints the URL). */
  secrets?: readonly string[];
}

const STDERR_LINES = 20;

interface Waiter {
  resolve(frame: Frame): void;
  reject(err: Error): void;
}

/**
 * One supervised ffmpeg child that writes JPEGs at the sampling rate: RTSP cameras and replayed
 * video. It is restarted with backoff when it exits or stops producing frames (a stall), killed with
 * SIGTERM then SIGKILL, and always waited for, so no zombie or orphan is left. The last lines of
 * its stderr are kept to say why a camera fails.
 */
export class FfmpegSource implements FrameSource {
  readonly camera: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private latest: Frame | undefined;
  private latestSeq = 0;
  private grabbedSeq = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly stderrTail: string[] = [];
  private failures = 0;
  private restartCount = 0;
  private stallCount = 0;
  private lastActivity = 0;
  private framesSinceSpawn = 0;
  private stopping = false;
  private ended = false;
  private restartTimer: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private killTimer: TimerHandle | undefined;

  constructor(private readonly options: FfmpegSourceOptions) {
    this.camera = options.camera;
  }

  start(): Promise<void> {
    this.stopping = false;
    this.spawn();
    const every = Math.max(100, Math.floor(this.options.stallMs / 4));
    this.watchdog = this.options.clock.setInterval(() => this.checkStall(), every);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const { clock } = this.options;
    if (this.watchdog !== undefined) clock.clearInterval(this.watchdog);
    if (this.restartTimer !== undefined) clock.clearTimeout(this.restartTimer);
    for (const waiter of this.waiters) waiter.reject(cameraFault('unreachable', 'the camera source was stopped'));
    this.waiters.clear();
    this.kill();
    await this.exited;
  }

  /** The pid of the running child, if any: tests check that none outlives the agent. */
  pid(): number | undefined {
    return this.child?.pid;
  }

  restarts(): number {
    return this.restartCount;
  }

  stalls(): number {
    return this.stallCount;
  }

  stderr(): string[] {
    return [...this.stderrTail];
  }

  grab(signal: AbortSignal): Promise<Frame> {
    if (this.latest !== undefined && this.latestSeq > this.grabbedSeq) {
      this.grabbedSeq = this.latestSeq;
      return Promise.resolve(this.latest);
    }
    if (this.ended) return Promise.reject(cameraFault('unreachable', 'the footage has ended'));
    return new Promise<Frame>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (frame) => {
          signal.removeEventListener('abort', onAbort);
          resolve(frame);
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(this.noFrameFault());
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  private spawn(): void {
    const { processes, logger } = this.options;
    const child = processes.spawn(this.options.command ?? 'ffmpeg', this.options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.lastActivity = this.options.clock.monotonicMs();
    this.framesSinceSpawn = 0;
    let producedFrame = false;
    const splitter = new JpegSplitter((jpeg) => {
      producedFrame = true;
      this.onFrame(jpeg);
    });
    child.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.keepStderr(text));
    child.on('error', (err) => {
      this.keepStderr(`spawn failed: ${errorMessage(err)}\n`);
      logger.error({ err }, 'ffmpeg could not be started');
    });
    this.exited = new Promise<void>((resolve) => {
      child.on('close', (code, signal) => {
        if (this.killTimer !== undefined) this.options.clock.clearTimeout(this.killTimer);
        this.killTimer = undefined;
        this.child = undefined;
        this.failures = producedFrame ? 0 : this.failures + 1;
        resolve();
        this.onExit(code, signal);
      });
    });
    logger.debug({ pid: child.pid }, 'ffmpeg started');
  }

  private onFrame(jpeg: Buffer): void {
    const { clock } = this.options;
    this.lastActivity = clock.monotonicMs();
    this.framesSinceSpawn++;
    this.latest = { camera: this.camera, capturedAt: clock.now(), mono: this.lastActivity, jpeg };
    this.latestSeq++;
    const waiter = this.waiters.values().next().value;
    if (waiter === undefined) return;
    this.waiters.delete(waiter);
    this.grabbedSeq = this.latestSeq;
    waiter.resolve(this.latest);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    if (code === 0 && this.options.restartOnExit === false) {
      this.ended = true;
      for (const waiter of this.waiters) waiter.reject(cameraFault('unreachable', 'the footage has ended'));
      this.waiters.clear();
      this.options.logger.info('footage ended');
      return;
    }
    const delay = backoffDelay(this.failures, this.options.backoff ?? { minMs: 1000, maxMs: 30_000 }, this.options.random);
    this.options.logger.warn({ code, signal, restartInMs: delay, stderr: this.stderrTail.slice(-3) }, 'ffmpeg exited; restarting');
    this.restartTimer = this.options.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restartCount++;
      this.spawn();
    }, delay);
  }

  private checkStall(): void {
    if (this.child === undefined || this.killTimer !== undefined) return;
    const limit = this.framesSinceSpawn > 0 ? this.options.stallMs : this.options.startupMs ?? Math.max(this.options.stallMs, 15_000);
    if (this.options.clock.monotonicMs() - this.lastActivity < limit) return;
    this.stallCount++;
    this.options.logger.warn({ limitMs: limit, stderr: this.stderrTail.slice(-3) }, 'no frame from ffmpeg; killing it');
    this.kill();
  }

  /** SIGTERM now, SIGKILL if it has not exited after the grace period. */
  private kill(): void {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (this.killTimer !== undefined) return;
    this.killTimer = this.options.clock.setTimeout(() => {
      this.killTimer = undefined;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, this.options.killGraceMs ?? 2000);
  }

  private keepStderr(text: string): void {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      this.stderrTail.push(stripCredentials(line, this.options.secrets).slice(0, 300));
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
    }
  }

  private noFrameFault(): Error {
    const tail = this.stderrTail.at(-1);
    const detail = tail === undefined ? '' : `; ffmpeg: ${tail}`;
    return cameraFault(this.child === undefined ? reasonFromStderr(this.stderrTail) : 'timeout', `no frame before the deadline${detail}`);
  }
}

/** What ffmpeg's last words say about the camera. */
export function reasonFromStderr(lines: readonly string[]): CameraFaultReason {
  const text = lines.join('\n');
  if (/401|403|Unauthorized|authorization failed|Forbidden/i.test(text)) return 'auth';
  if (/Connection refused|No route to host|Network is unreachable|Name or service not known|Temporary failure in name resolution|spawn failed/i.test(text)) return 'unreachable';
  if (/Invalid data found|could not find codec|decode/i.test(text)) return 'bad_image';
  return 'timeout';
}
