import type { HealthReporter } from '../../link/contract/link.js';
import type { Clock } from '../../ports/clock.js';
import { RateCap } from './arming.js';

/** A flood is over when no object has been held back for this long. */
export const FLOOD_CALM_MS = 60_000;

export interface FloodCount {
  /** Objects not published since start. */
  notPublished: number;
  /** A flood is going on (its `event_flood` alert is raised). */
  flooding: boolean;
}

/**
 * One camera's flood guard. A swaying tree or rain can make hundreds of tracks a minute; beyond
 * `perMinute` new objects (a token bucket) they are counted instead of published, and one
 * `event_flood` health alert is raised for the camera; it is cleared, with the count, once no
 * object has been held back for `FLOOD_CALM_MS`. Nothing is dropped silently.
 */
export class FloodGuard {
  private readonly cap: RateCap;
  private total = 0;
  private inFlood = 0;
  private lastHeldMono: number | undefined;
  private raisedAt: string | undefined;

  constructor(
    private readonly camera: string,
    private readonly perMinute: number,
    private readonly deps: { clock: Clock; alerts: HealthReporter },
  ) {
    this.cap = new RateCap(perMinute, deps.clock);
  }

  /** True when one more new object may be published; false (and counted) during a flood. */
  admit(): boolean {
    if (this.cap.take()) return true;
    this.total++;
    this.inFlood++;
    this.lastHeldMono = this.deps.clock.monotonicMs();
    if (this.raisedAt === undefined) this.raise();
    return false;
  }

  /** Clears the alert once the camera has calmed down. */
  sweep(): void {
    if (this.raisedAt === undefined || this.lastHeldMono === undefined) return;
    if (this.deps.clock.monotonicMs() - this.lastHeldMono < FLOOD_CALM_MS) return;
    const since = this.raisedAt;
    this.raisedAt = undefined;
    this.deps.alerts.clear('event_flood', this.camera,
      `camera ${this.camera} calmed down: ${this.inFlood} new objects were counted but not published during the flood`,
      { since, notPublished: this.inFlood });
    this.inFlood = 0;
  }

  count(): FloodCount {
    return { notPublished: this.total, flooding: this.raisedAt !== undefined };
  }

  private raise(): void {
    this.raisedAt = this.deps.clock.now().toISOString();
    this.deps.alerts.raise('event_flood', this.camera, {
      severity: 'warning',
      message: `camera ${this.camera} sees more than ${this.perMinute} new objects a minute (a swaying tree, rain, a crowd?): further ones are counted, not published, until it calms down`,
      details: { perMinute: this.perMinute },
    });
  }
}
