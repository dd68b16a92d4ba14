import type { CameraFaultReason, CameraState, CameraStatusPayload } from '../../link/contract/v1.js';

export const DAY_MS = 24 * 3_600_000;

type Observed = CameraState | 'unknown';

interface Segment {
  state: Observed;
  reason: CameraFaultReason | null;
  startMono: number;
}

export interface FaultSummary {
  state: 'offline' | 'degraded';
  reason: CameraFaultReason | null;
  count: number;
  totalS: number;
}

export interface AvailabilitySummary {
  state: Observed;
  reason: CameraFaultReason | null;
  /** Share of the window the camera was online (degraded counts as down), 0..100; null before any status. */
  availabilityPercent: number | null;
  seconds: Record<Observed, number>;
  faults: FaultSummary[];
}

/**
 * Each camera's state over the last day, from the status changes the camera stage publishes.
 * Durations use the monotonic clock; time before the first status counts as `unknown`.
 */
export class AvailabilityLog {
  private readonly segments = new Map<string, Segment[]>();

  constructor(private readonly monotonicMs: () => number, cameras: readonly string[]) {
    const now = monotonicMs();
    for (const id of cameras) this.segments.set(id, [{ state: 'unknown', reason: null, startMono: now }]);
  }

  onCameraStatus(status: CameraStatusPayload): void {
    const list = this.segments.get(status.camera) ?? [];
    const last = list.at(-1);
    if (last?.state === status.state && last.reason === status.reason) return;
    list.push({ state: status.state, reason: status.reason, startMono: this.monotonicMs() });
    this.segments.set(status.camera, list);
    this.prune(list);
  }

  cameras(): string[] {
    return [...this.segments.keys()];
  }

  summary(camera: string, windowMs = DAY_MS): AvailabilitySummary {
    const now = this.monotonicMs();
    const from = now - windowMs;
    const list = this.segments.get(camera) ?? [];
    const seconds: Record<Observed, number> = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    const faults = new Map<string, FaultSummary>();
    list.forEach((segment, i) => {
      const end = list[i + 1]?.startMono ?? now;
      const ms = Math.max(0, end - Math.max(segment.startMono, from));
      if (end <= from) return;
      seconds[segment.state] += ms / 1000;
      if (segment.state === 'offline' || segment.state === 'degraded') {
        const key = `${segment.state}/${segment.reason ?? ''}`;
        const fault = faults.get(key) ?? { state: segment.state, reason: segment.reason, count: 0, totalS: 0 };
        fault.count++;
        fault.totalS += ms / 1000;
        faults.set(key, fault);
      }
    });
    const known = seconds.online + seconds.degraded + seconds.offline;
    const last = list.at(-1);
    return {
      state: last?.state ?? 'unknown',
      reason: last?.reason ?? null,
      availabilityPercent: known === 0 ? null : round1((seconds.online / known) * 100),
      seconds: { online: Math.round(seconds.online), degraded: Math.round(seconds.degraded), offline: Math.round(seconds.offline), unknown: Math.round(seconds.unknown) },
      faults: [...faults.values()].map((f) => ({ ...f, totalS: Math.round(f.totalS) })),
    };
  }

  private prune(list: Segment[]): void {
    const from = this.monotonicMs() - DAY_MS;
    while (list.length > 1 && (list[1]?.startMono ?? Infinity) <= from) list.shift();
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
