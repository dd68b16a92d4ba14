import type { EventBody } from '../../link/contract/v1.js';
import type { Label } from '../../edge/types.js';
import { DAY_MS } from './availability.js';

/** Tracked objects per label and camera over the last day (one per event id, counted at `new`). */
export class EventCounter {
  private readonly seen: { mono: number; camera: string; label: Label }[] = [];

  constructor(private readonly monotonicMs: () => number) {}

  onEvent(event: EventBody): void {
    if (event.type !== 'new') return;
    this.seen.push({ mono: this.monotonicMs(), camera: event.camera, label: event.label });
    const from = this.monotonicMs() - DAY_MS;
    while ((this.seen[0]?.mono ?? Infinity) < from) this.seen.shift();
  }

  perLabel(camera?: string): Partial<Record<Label, number>> {
    const from = this.monotonicMs() - DAY_MS;
    const counts: Partial<Record<Label, number>> = {};
    for (const e of this.seen) {
      if (e.mono < from || (camera !== undefined && e.camera !== camera)) continue;
      counts[e.label] = (counts[e.label] ?? 0) + 1;
    }
    return counts;
  }
}
