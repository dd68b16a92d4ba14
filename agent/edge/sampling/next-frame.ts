import type { Clock } from '../../ports/clock.js';
import type { Frame } from '../types.js';

/** Waiters for a camera's next sampled frame (a snapshot asks for a fresh picture, not the last one). */
export class NextFrame {
  private waiters: ((frame: Frame) => void)[] = [];

  constructor(private readonly clock: Clock) {}

  /** The next frame delivered within `ms`, or undefined. */
  wait(ms: number): Promise<Frame | undefined> {
    return new Promise((resolve) => {
      const waiter = (frame: Frame) => {
        this.clock.clearTimeout(timer);
        resolve(frame);
      };
      const timer = this.clock.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(undefined);
      }, ms);
      this.waiters.push(waiter);
    });
  }

  deliver(frame: Frame): void {
    for (const waiter of this.waiters.splice(0)) waiter(frame);
  }
}
