import type { CameraFaultReason } from '../../link/contract/v1.js';
import { backoffDelay, type BackoffBounds } from '../../core/backoff.js';
import { cameraFault, faultReasonOf } from '../../core/camera-fault.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Frame, FrameSource } from '../types.js';

/**
 * How long a grab may run past its deadline (or a stop) before the poller stops waiting for it.
 * Sources end their grab when the signal aborts; this bounds sampling and stop() when one does not.
 */
export const ABANDON_AFTER_MS = 1000;

export interface PollFailure {
  reason: CameraFaultReason;
  message: string;
  /** Monotonic time of the failure. */
  mono: number;
}

export interface CameraPollerOptions {
  source: FrameSource;
  intervalMs: number;
  /** Hard deadline of one grab (request, body and all). */
  timeoutMs: number;
  clock: Clock;
  logger: Logger;
  /** The next stage; awaited, so a slow stage slows this camera's sampling rather than queueing. */
  onFrame(frame: Frame): Promise<void>;
  onFailure(failure: PollFailure): void;
  /** Longest wait between tries while the camera keeps failing. */
  backoff?: BackoffBounds;
  random?: () => number;
}

export interface PollerStats {
  attempts: number;
  frames: number;
  failures: number;
  consecutiveFailures: number;
}

/**
 * Samples one camera: a grab every `interval`, each with a deadline enforced by an AbortSignal,
 * and exponential backoff with jitter while the camera fails, so a dead camera costs little and
 * many dead cameras do not retry in step.
 */
export class CameraPoller implements Module {
  readonly name: string;
  private readonly stats: PollerStats = { attempts: 0, frames: 0, failures: 0, consecutiveFailures: 0 };
  private stopController = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: CameraPollerOptions) {
    this.name = `poller:${options.source.camera}`;
  }

  start(): Promise<void> {
    this.stopController = new AbortController();
    this.loop = this.run(this.stopController.signal);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopController.abort(new Error('stopping'));
    await this.loop;
  }

  snapshot(): PollerStats {
    return { ...this.stats };
  }

  private async run(stop: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.options;
    while (!stop.aborted) {
      const started = clock.monotonicMs();
      const ok = await this.attempt(stop);
      if (stop.aborted) break;
      const elapsed = clock.monotonicMs() - started;
      const wait = ok
        ? intervalMs - elapsed
        : Math.max(intervalMs - elapsed, backoffDelay(this.stats.consecutiveFailures, this.backoffBounds(), this.options.random) - elapsed);
      try {
        await clock.sleep(Math.max(0, wait), stop);
      } catch {
        break;
      }
    }
  }

  private backoffBounds(): BackoffBounds {
    return this.options.backoff ?? { minMs: this.options.intervalMs, maxMs: Math.max(this.options.intervalMs, 30_000) };
  }

  private async attempt(stop: AbortSignal): Promise<boolean> {
    const { clock, timeoutMs } = this.options;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(new Error(`deadline of ${timeoutMs} ms`)), timeoutMs);
    const onStop = () => deadline.abort(new Error('stopping'));
    stop.addEventListener('abort', onStop, { once: true });
    this.stats.attempts++;
    let frame: Frame;
    try {
      frame = await this.grabWithin(deadline.signal);
    } catch (err) {
      if (stop.aborted) return false;
      this.stats.failures++;
      this.stats.consecutiveFailures++;
      const failure = { reason: faultReasonOf(err), message: errorMessage(err), mono: clock.monotonicMs() };
      if (this.stats.consecutiveFailures === 1) this.options.logger.warn(failure, 'camera failed to give a frame');
      this.options.onFailure(failure);
      return false;
    } finally {
      clock.clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
    if (this.stats.consecutiveFailures > 0) this.options.logger.info({ after: this.stats.consecutiveFailures }, 'camera gives frames again');
    this.stats.frames++;
    this.stats.consecutiveFailures = 0;
    try {
      await this.options.onFrame(frame);
    } catch (err) {
      this.options.logger.error({ err }, 'frame processing failed');
    }
    return true;
  }

  /** The source's grab, or a timeout once it has outlived its deadline by ABANDON_AFTER_MS. */
  private grabWithin(deadline: AbortSignal): Promise<Frame> {
    const { clock, source } = this.options;
    return new Promise<Frame>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const abandon = () => {
        timer = clock.setTimeout(() => {
          reject(cameraFault('timeout', `the grab was abandoned ${ABANDON_AFTER_MS} ms after its ${errorMessage(deadline.reason)}`));
        }, ABANDON_AFTER_MS);
      };
      const settled = () => {
        deadline.removeEventListener('abort', abandon);
        if (timer !== undefined) clock.clearTimeout(timer);
      };
      deadline.addEventListener('abort', abandon, { once: true });
      void source.grab(deadline).then(resolve, reject).finally(settled);
    });
  }
}
