import type { Frame, FrameSource } from '../../agent/edge/types.js';
import type { FakeClock } from './clock.js';

/** Replays a list of JPEGs, one per grab, stamped by a fake clock; past the end it waits until stopped. */
export class FrameListSource implements FrameSource {
  served = 0;
  constructor(readonly camera: string, private readonly frames: readonly Buffer[], private readonly clock: FakeClock) {}
  start(): Promise<void> { return Promise.resolve(); }
  stop(): Promise<void> { return Promise.resolve(); }
  grab(signal: AbortSignal): Promise<Frame> {
    const jpeg = this.frames[this.served];
    if (jpeg === undefined) return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
    this.served++;
    return Promise.resolve({ camera: this.camera, capturedAt: this.clock.now(), mono: this.clock.monotonicMs(), jpeg });
  }
}
