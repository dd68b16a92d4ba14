export interface TrendSample {
  ts: string;
  mono: number;
  freeBytes: number;
}

export interface DiskTrend {
  path: string;
  freeBytesNow: number;
  /** Free bytes at the oldest kept sample (up to 24 h ago) and when that was. */
  freeBytesThen: number;
  then: string;
  /** Change in free bytes per day, extrapolated from the window; negative means filling. */
  bytesPerDay: number | null;
  /** Days until full at that rate, when filling. */
  daysToFull: number | null;
}

const WINDOW_MS = 24 * 3_600_000;
const SPACING_MS = 3_600_000;

/** Free space per disk sampled about hourly over the last day (monotonic spacing). */
export class DiskTrendLog {
  private readonly samples = new Map<string, TrendSample[]>();

  record(path: string, sample: TrendSample): void {
    const list = this.samples.get(path) ?? [];
    // The newest sample stays provisional (replaced) until it is an hour past the one before.
    const previous = list.at(-2);
    if (previous !== undefined && sample.mono - previous.mono < SPACING_MS) list[list.length - 1] = sample;
    else list.push(sample);
    while (list.length > 2 && sample.mono - (list[0]?.mono ?? 0) > WINDOW_MS) list.shift();
    this.samples.set(path, list);
  }

  trends(): DiskTrend[] {
    return [...this.samples.entries()].flatMap(([path, list]) => {
      const first = list[0];
      const last = list.at(-1);
      if (first === undefined || last === undefined) return [];
      const spanMs = last.mono - first.mono;
      const bytesPerDay = spanMs >= SPACING_MS ? Math.round(((last.freeBytes - first.freeBytes) / spanMs) * 86_400_000) : null;
      const daysToFull = bytesPerDay !== null && bytesPerDay < 0 ? Math.round((last.freeBytes / -bytesPerDay) * 10) / 10 : null;
      return [{ path, freeBytesNow: last.freeBytes, freeBytesThen: first.freeBytes, then: first.ts, bytesPerDay, daysToFull }];
    });
  }
}
