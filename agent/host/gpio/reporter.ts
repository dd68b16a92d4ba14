import type { HealthBody, HealthKind } from '../../link/contract/v1.js';

/**
 * Where GPIO modules report alerts: the health monitor's alert board, passed in by the
 * composition root. Raise and clear are idempotent; only transitions reach the station.
 */
export interface HealthReporter {
  raise(kind: HealthKind, subject: string, change: { severity: HealthBody['severity']; message: string; details?: Record<string, unknown> }): void;
  clear(kind: HealthKind, subject: string, message: string, details?: Record<string, unknown>): void;
}
