/**
 * Health alerts by what they are about (host + kind + subject): raised until cleared. A message
 * older than the one already applied (late delivery) is logged but does not flip the state.
 */
import type { HealthMessage } from './schemas.js';

export interface HealthEntry {
  /** `<host>/<kind>/<subject>` */
  key: string;
  host: string;
  kind: string;
  subject: string;
  state: 'raised' | 'cleared';
  severity: 'info' | 'warning' | 'critical';
  message: string;
  ts: string;
  seq: number;
  delayed: boolean;
}

/** Distinct health keys (kind + subject) kept per host: tens of cameras × a dozen kinds fit. */
export const MAX_HEALTH_KEYS_PER_HOST = 1024;

export class HealthBoard {
  private readonly current = new Map<string, HealthEntry>();
  private readonly keysPerHost = new Map<string, number>();
  private log: HealthEntry[] = [];

  constructor(private readonly logLimit: number) {}

  /** Applies a message; returns the entry when the board changed, `over_limit` for a new key past the host's bound. */
  apply(host: string, message: HealthMessage, delayed: boolean): HealthEntry | 'over_limit' | undefined {
    const entry = healthEntry(host, message, delayed);
    const existing = this.current.get(entry.key);
    if (existing === undefined && (this.keysPerHost.get(host) ?? 0) >= MAX_HEALTH_KEYS_PER_HOST) return 'over_limit';
    this.addToLog(entry);
    if (existing !== undefined && Date.parse(existing.ts) > Date.parse(entry.ts)) return undefined;
    if (existing === undefined) this.keysPerHost.set(host, (this.keysPerHost.get(host) ?? 0) + 1);
    this.current.set(entry.key, entry);
    return entry;
  }

  /** Puts a stored entry (another console's, or from before a restart) in place of an older one. */
  restore(entry: HealthEntry): void {
    const existing = this.current.get(entry.key);
    if (existing !== undefined && Date.parse(existing.ts) > Date.parse(entry.ts)) return;
    if (existing === undefined) {
      if ((this.keysPerHost.get(entry.host) ?? 0) >= MAX_HEALTH_KEYS_PER_HOST) return;
      this.keysPerHost.set(entry.host, (this.keysPerHost.get(entry.host) ?? 0) + 1);
    }
    if (existing?.seq !== entry.seq) this.addToLog(entry);
    this.current.set(entry.key, entry);
  }

  /** Alerts raised and not cleared, most severe first, then newest. */
  active(host?: string): HealthEntry[] {
    return [...this.current.values()]
      .filter((e) => e.state === 'raised' && (host === undefined || e.host === host))
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Date.parse(b.ts) - Date.parse(a.ts));
  }

  /** Every raise and clear received, newest first. */
  recent(): readonly HealthEntry[] {
    return this.log;
  }

  private addToLog(entry: HealthEntry): void {
    const at = this.log.findIndex((e) => Date.parse(e.ts) < Date.parse(entry.ts));
    this.log.splice(at === -1 ? this.log.length : at, 0, entry);
    if (this.log.length > this.logLimit) this.log.length = this.logLimit;
  }
}

export function healthEntry(host: string, message: HealthMessage, delayed: boolean): HealthEntry {
  return {
    key: `${host}/${message.kind}/${message.subject}`,
    host,
    kind: message.kind,
    subject: message.subject,
    state: message.state,
    severity: message.severity,
    message: message.message,
    ts: message.ts,
    seq: message.seq,
    delayed,
  };
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
