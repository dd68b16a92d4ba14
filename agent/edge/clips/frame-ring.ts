/** One sampled JPEG and its real capture time (epoch ms). */
export interface RingFrame {
  at: number;
  jpeg: Buffer;
}

/**
 * The last sampled frames of one snapshot or file camera, bounded by count and bytes (oldest
 * dropped first): what its clips are made of, at the times the frames were really captured.
 */
export class FrameRing {
  private readonly frames: RingFrame[] = [];
  private bytes = 0;

  constructor(private readonly limits: { count: number; bytes: number }) {}

  push(frame: RingFrame): void {
    const last = this.frames.at(-1);
    if (last !== undefined && frame.at <= last.at) return; // a clock step back: keep the timeline monotonic
    this.frames.push(frame);
    this.bytes += frame.jpeg.length;
    while (this.frames.length > this.limits.count || (this.bytes > this.limits.bytes && this.frames.length > 1)) {
      const dropped = this.frames.shift();
      if (dropped !== undefined) this.bytes -= dropped.jpeg.length;
    }
  }

  /** The frames captured in [from, to] (epoch ms), oldest first. */
  between(from: number, to: number): RingFrame[] {
    return this.frames.filter((f) => f.at >= from && f.at <= to);
  }

  /** Milliseconds from the oldest frame held to the newest. */
  spanMs(): number {
    return (this.frames.at(-1)?.at ?? 0) - (this.frames[0]?.at ?? 0);
  }

  size(): { count: number; bytes: number } {
    return { count: this.frames.length, bytes: this.bytes };
  }
}
