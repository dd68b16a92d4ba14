/**
 * Whether packing several cameras' frames into mosaic inputs pays on the frames seen lately. Each
 * batch of mosaic frames reports what its frames cost with every cell counted as the quarter input
 * it takes (whole-input crops count 1): small scattered motion costs a fraction of an input per
 * frame; motion all over a picture about one, and then taking more frames at once only makes them
 * wait longer (docs/capacity.md). A moving average over frames, starting from "pays".
 */
export class MosaicYield {
  private cost = 0;

  /** `threshold`: packing pays while a frame costs less than this many inputs on average. */
  constructor(private readonly threshold = 0.75, private readonly weight = 0.1) {}

  /** A batch's frames, their inferences, and the mosaic inputs and cells among them. */
  record(frames: number, inferences: number, mosaic: { inputs: number; cells: number }): void {
    if (frames <= 0) return;
    const perFrame = (inferences - mosaic.inputs + mosaic.cells / 4) / frames;
    if (!Number.isFinite(perFrame)) return;
    for (let i = 0; i < frames; i++) this.cost += this.weight * (perFrame - this.cost);
  }

  /** Inputs per mosaic frame lately, cells counted as quarters. */
  costPerFrame(): number {
    return this.cost;
  }

  pays(): boolean {
    return this.cost < this.threshold;
  }
}
