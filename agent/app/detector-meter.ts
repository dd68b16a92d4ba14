import type { DetectionResult, DetectOptions, Detector } from '../pipeline/types.js';

/** Wraps a detector to keep the mean inference time of its recent calls, for the heartbeat. */
export class DetectorMeter implements Detector {
  private readonly recent: number[] = [];

  constructor(private readonly inner: Detector, private readonly window = 50) {}

  async detect(image: Buffer, options?: DetectOptions): Promise<DetectionResult> {
    const result = await this.inner.detect(image, options);
    this.recent.push(result.ms);
    if (this.recent.length > this.window) this.recent.shift();
    return result;
  }

  /** Mean ms of the last calls, or null before the first. */
  avgMs(): number | null {
    if (this.recent.length === 0) return null;
    return Math.round(this.recent.reduce((sum, ms) => sum + ms, 0) / this.recent.length);
  }
}
