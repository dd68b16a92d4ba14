/**
 * The `seq` numbers received from one host, kept as disjoint ranges. A gap between ranges is a
 * message the station has not (yet) seen; historical delivery after an outage fills it in.
 */
export class SeqRanges {
  /** Sorted, disjoint, non-adjacent [first, last] pairs. */
  private ranges: [number, number][] = [];

  constructor(private readonly maxRanges = 1000) {}

  has(seq: number): boolean {
    return this.ranges.some(([first, last]) => seq >= first && seq <= last);
  }

  /** Records `seq`; returns false when it was already there. */
  add(seq: number): boolean {
    if (this.has(seq)) return false;
    let i = this.ranges.findIndex(([first]) => first > seq);
    if (i === -1) i = this.ranges.length;
    this.ranges.splice(i, 0, [seq, seq]);
    this.mergeAround(i);
    // A host that lost thousands of messages in separate holes would grow this without end:
    // forget the oldest holes (they are reported as missing until then).
    while (this.ranges.length > this.maxRanges) this.forgetOldestGap();
    return true;
  }

  max(): number | null {
    return this.ranges.at(-1)?.[1] ?? null;
  }

  /** Messages missing between the first and the last seq seen. */
  missing(): number {
    let gaps = 0;
    for (let i = 1; i < this.ranges.length; i++) gaps += this.ranges[i]![0] - this.ranges[i - 1]![1] - 1;
    return gaps;
  }

  private mergeAround(i: number): void {
    const next = this.ranges[i + 1];
    const current = this.ranges[i]!;
    if (next !== undefined && next[0] === current[1] + 1) {
      current[1] = next[1];
      this.ranges.splice(i + 1, 1);
    }
    const previous = this.ranges[i - 1];
    if (previous !== undefined && previous[1] + 1 === current[0]) {
      previous[1] = current[1];
      this.ranges.splice(i, 1);
    }
  }

  private forgetOldestGap(): void {
    const [first, second] = this.ranges;
    if (first === undefined || second === undefined) return;
    this.ranges.splice(0, 2, [first[0], second[1]]);
  }
}

/** Keys seen recently, forgetting the oldest beyond `limit` (insertion order). */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly limit: number) {}

  /** Records `key`; returns false when it was already there. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.limit) {
      const oldest = this.keys.values().next();
      if (oldest.done !== true) this.keys.delete(oldest.value);
    }
    return true;
  }
}
