/**
 * One drain loop at a time over a queue its owner keeps: `kick` starts `drain` unless a run is
 * under way (that run picks up what was queued meanwhile, so the drain must loop until its queue is
 * empty); `idle` resolves once no run is under way, however many were started meanwhile.
 */
export class SerialDrain {
  private running: Promise<void> | undefined;

  constructor(private readonly drain: () => Promise<void>) {}

  kick(): void {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }
}
