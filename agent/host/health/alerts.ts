import { randomUUID } from 'node:crypto';
import type { HealthReporter, StationLink } from '../../link/contract/link.js';
import type { HealthBody, HealthKind } from '../../link/contract/v1.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../ports/clock.js';
import { definedProps } from '../../core/defined-props.js';

export interface ActiveAlert {
  kind: HealthKind;
  subject: string;
  severity: HealthBody['severity'];
  message: string;
  since: string;
}

export interface AlertChange {
  severity: HealthBody['severity'];
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Remembers which alerts are raised and publishes only transitions, so a condition that holds
 * for hours is one `raised` and one `cleared`, not a flood. Callers apply their own hysteresis
 * (raise below a threshold, clear above threshold + margin). A failed publish (the outbox's
 * disk may be the one that is full) is logged and never thrown: health keeps running.
 */
export class AlertBoard implements HealthReporter {
  private readonly active = new Map<string, ActiveAlert>();

  constructor(private readonly deps: { link: StationLink; clock: Clock; logger: Logger }) {}

  isRaised(kind: HealthKind, subject: string): boolean {
    return this.active.has(key(kind, subject));
  }

  list(): ActiveAlert[] {
    return [...this.active.values()];
  }

  raise(kind: HealthKind, subject: string, change: AlertChange): void {
    if (this.active.has(key(kind, subject))) return;
    const ts = this.deps.clock.now().toISOString();
    this.active.set(key(kind, subject), { kind, subject, severity: change.severity, message: change.message, since: ts });
    this.deps.logger.warn({ kind, subject, details: change.details }, change.message);
    this.publish({ ts, id: randomUUID(), kind, state: 'raised', subject, ...change });
  }

  clear(kind: HealthKind, subject: string, message: string, details?: Record<string, unknown>): void {
    const raised = this.active.get(key(kind, subject));
    if (raised === undefined) return;
    this.active.delete(key(kind, subject));
    const ts = this.deps.clock.now().toISOString();
    this.deps.logger.info({ kind, subject, details }, message);
    this.publish({ ts, id: randomUUID(), kind, state: 'cleared', subject, severity: 'info', message, ...definedProps({ details }) });
  }

  private publish(alert: HealthBody): void {
    void (async () => {
      try {
        await this.deps.link.publishHealth(alert);
      } catch (err) {
        this.deps.logger.error({ err, kind: alert.kind, subject: alert.subject }, 'could not queue a health alert');
      }
    })();
  }
}

function key(kind: HealthKind, subject: string): string {
  return `${kind}\u0000${subject}`;
}
