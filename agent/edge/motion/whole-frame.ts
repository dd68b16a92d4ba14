/**
 * When the whole frame must be searched beside the motion gate. Motion alone misses whoever is
 * already in view when the background is taken (the first frame, and after a lighting change,
 * which also fires when a rider fills the picture or a crowd crosses), and whoever stands still
 * long enough to fade into it. Those frames, and one every `everyMs` (0: never), are searched whole.
 */
export class WholeFrameSchedule {
  private lastMono: number | undefined;

  constructor(private readonly everyMs: number) {}

  /** Whether the frame taken at `mono` is searched whole; if so, it counts as the last search. */
  due(mono: number, lightingChange: boolean): boolean {
    const due = this.lastMono === undefined || lightingChange || (this.everyMs > 0 && mono - this.lastMono >= this.everyMs);
    if (due) this.lastMono = mono;
    return due;
  }
}
