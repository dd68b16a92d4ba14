export interface BackoffBounds {
  minMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": after `failures` consecutive failures, wait between half
 * and all of min × 2^(failures-1), capped at max, so many cameras (or hosts) failing together do not
 * retry in lockstep, and the delay never collapses to zero. `random` is injectable for tests.
 */
export function backoffDelay(failures: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  if (failures <= 0) return bounds.minMs;
  const ceiling = Math.min(bounds.maxMs, bounds.minMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** The same backoff as a counter, for callers that keep no failure count of their own. */
export class Backoff {
  private failures = 0;

  constructor(private readonly bounds: BackoffBounds, private readonly random: () => number = Math.random) {}

  next(): number {
    this.failures++;
    return backoffDelay(this.failures, this.bounds, this.random);
  }

  reset(): void {
    this.failures = 0;
  }
}
