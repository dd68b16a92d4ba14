/**
 * Slows password guessing: after 5 failures from one address, 5 minutes of refusals. An attempt
 * is counted when it starts, before the first `await`, and one address has one check in flight at
 * a time, so guesses sent at once cannot all be checked; a global cap bounds the scrypt checks
 * running together (each costs 32 MiB and tens of ms of a core).
 */
import type { Clock } from '../../ports/clock.js';

const MAX_FAILURES = 5;
const WINDOW_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;
export const MAX_CONCURRENT_CHECKS = 4;

export type LoginRefusal = 'blocked' | 'busy' | 'overloaded';

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; firstMs: number }>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly clock: Clock) {}

  blocked(address: string): boolean {
    const entry = this.current(address);
    return entry !== undefined && entry.count >= MAX_FAILURES;
  }

  /**
   * Call synchronously when a login request arrives. Counts the attempt as failed until `succeeded`
   * says otherwise; returns why it is refused, or undefined when the check may run (then call `end`).
   */
  begin(address: string): LoginRefusal | undefined {
    if (this.blocked(address)) return 'blocked';
    if (this.inFlight.has(address)) return 'busy';
    if (this.inFlight.size >= MAX_CONCURRENT_CHECKS) return 'overloaded';
    this.inFlight.add(address);
    this.failed(address);
    return undefined;
  }

  end(address: string): void {
    this.inFlight.delete(address);
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
