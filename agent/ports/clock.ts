/**
 * Time enters the agent only through this port, so tests can move it by hand.
 * Wall time is for timestamps; durations use the monotonic clock so a clock jump at boot
 * (no RTC on a Pi until NTP syncs) breaks nothing.
 */
export interface TimerHandle {
  readonly id: unknown;
}

export interface Clock {
  /** Wall-clock time, for `ts` fields. */
  now(): Date;
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
  setInterval: (fn, ms) => ({ id: setInterval(fn, ms) }),
  clearInterval: (handle) => clearInterval(handle.id as NodeJS.Timeout),
  sleep: (ms, signal) => sleepWith(systemClock, ms, signal),
};

/** `sleep` on top of any clock's timers; fakes reuse it. */
export function sleepWith(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason as Error);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
