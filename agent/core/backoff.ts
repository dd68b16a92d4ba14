export interface BackoffBounds {
  minMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": after `failures` consecutive failures, wait between half
 * and all of min × 2^(failures-1), capped at max, so many cameras failing together do not retry
 * in lockstep. `random` is injectable for tests.
 */
export function backoffDelay(failures: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  if (failures <= 0) return bounds.minMs;
  const ceiling = Math.min(bounds.maxMs, bounds.minMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
