export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** 0..1; injected by tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": the n-th delay lies between half and all of
 * min·2ⁿ (capped at max), so retries spread out across hosts but never collapse to zero.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const { minMs, maxMs, random = Math.random } = this.options;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
