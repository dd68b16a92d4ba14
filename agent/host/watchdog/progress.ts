/**
 * Proof that the agent's loops really run. Each loop gets a callback from the composition root
 * (`tracker.loop('cameras')`) and calls it whenever it completes a unit of work — or finds it
 * has nothing to do (an empty outbox is progress too). The watchdog asks who went quiet.
 */
export class ProgressTracker {
  private readonly last = new Map<string, number>();

  constructor(private readonly monotonicMs: () => number) {}

  /** Registers a loop (counted as fresh now) and returns its "I made progress" callback. */
  loop(name: string): () => void {
    this.last.set(name, this.monotonicMs());
    return () => this.last.set(name, this.monotonicMs());
  }

  /** Loops that have not reported for longer than `maxQuietMs`. */
  stalled(maxQuietMs: number): string[] {
    const now = this.monotonicMs();
    return [...this.last.entries()].filter(([, at]) => now - at > maxQuietMs).map(([name]) => name);
  }

  loops(): string[] {
    return [...this.last.keys()];
  }
}
