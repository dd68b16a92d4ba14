/** Slows password guessing: after 5 failures from one address, 5 minutes of refusals. */
import type { Clock } from '../../ports/clock.js';

const MAX_FAILURES = 5;
const WINDOW_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; firstMs: number }>();

  constructor(private readonly clock: Clock) {}

  blocked(address: string): boolean {
    const entry = this.current(address);
    return entry !== undefined && entry.count >= MAX_FAILURES;
  }

  failed(address: string): void {
    const entry = this.current(address) ?? { count: 0, firstMs: this.clock.monotonicMs() };
    entry.count += 1;
    this.failures.delete(address);
    this.failures.set(address, entry);
    if (this.failures.size > MAX_TRACKED) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private current(address: string): { count: number; firstMs: number } | undefined {
    const entry = this.failures.get(address);
    if (entry !== undefined && this.clock.monotonicMs() - entry.firstMs > WINDOW_MS) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
