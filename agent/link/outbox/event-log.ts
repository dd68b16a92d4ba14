import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FileSystem } from '../../ports/fs.js';
import type { EventPayload, EventQueryParams } from '../contract/v1.js';

const DAY_MS = 86_400_000;
const FILE_RE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
const SWEEP_EVERY_MS = 3_600_000;

export interface EventQueryResult {
  events: EventPayload[];
  /** More events matched than `limit`. */
  truncated: boolean;
}

/**
 * The events this host sent, one JSON line each in a file per UTC day, kept for `retention`,
 * so a station that sees a gap in `seq` can ask for them again (`events/query`).
 * It is a convenience copy: the outbox, not this log, is what guarantees delivery.
 */
export class EventLog {
  private appending: Promise<void> = Promise.resolve();
  private sweepTimer: TimerHandle | undefined;

  constructor(private readonly deps: { fs: FileSystem; dir: string; clock: Clock; logger: Logger; retentionMs: number }) {}

  async open(): Promise<void> {
    await this.deps.fs.mkdir(this.deps.dir, { recursive: true, mode: 0o750 });
    await this.sweep();
    this.sweepTimer = this.deps.clock.setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== undefined) this.deps.clock.clearInterval(this.sweepTimer);
    await this.appending;
  }

  /** Appends in call order; a failure is logged, never thrown (the event is already queued). */
  append(event: EventPayload): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const file = join(this.deps.dir, `${dayOf(event.ts, this.deps.clock)}.jsonl`);
    this.appending = this.appending.then(() => this.deps.fs.appendFile(file, line, { mode: 0o640 })).catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'could not append to the event log');
    });
    return this.appending;
  }

  async query(params: EventQueryParams): Promise<EventQueryResult> {
    await this.appending;
    const now = this.deps.clock.now().getTime();
    const from = params.from === undefined ? now - this.deps.retentionMs : Date.parse(params.from);
    const to = params.to === undefined ? now : Date.parse(params.to);
    const events: EventPayload[] = [];
    for (const day of await this.days()) {
      const start = Date.parse(`${day}T00:00:00Z`);
      if (start + DAY_MS <= from || start > to) continue;
      for (const event of await this.read(day)) {
        const ts = Date.parse(event.ts);
        if (ts < from || ts > to) continue;
        if (params.camera !== undefined && event.camera !== params.camera) continue;
        if (params.label !== undefined && event.label !== params.label) continue;
        events.push(event);
        if (events.length > params.limit) return { events: events.slice(0, params.limit), truncated: true };
      }
    }
    return { events, truncated: false };
  }

  private async sweep(): Promise<void> {
    const cutoff = this.deps.clock.now().getTime() - this.deps.retentionMs;
    for (const day of await this.days().catch(() => [])) {
      if (Date.parse(`${day}T00:00:00Z`) + DAY_MS > cutoff) continue;
      await this.deps.fs.rm(join(this.deps.dir, `${day}.jsonl`), { force: true }).catch((err: unknown) => {
        this.deps.logger.warn({ err, day }, 'could not delete an expired event log file');
      });
    }
  }

  private async days(): Promise<string[]> {
    const names = await this.deps.fs.readdir(this.deps.dir);
    return names.flatMap((name) => FILE_RE.exec(name)?.[1] ?? []).sort();
  }

  private async read(day: string): Promise<EventPayload[]> {
    const text = await this.deps.fs.readFile(join(this.deps.dir, `${day}.jsonl`), 'utf8').catch(() => '');
    const events: EventPayload[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const event = parseLine(line);
      // undefined: a line torn by a power cut, or not ours; skip it
      if (event !== undefined) events.push(event);
    }
    return events;
  }
}

function dayOf(ts: string, clock: Clock): string {
  const time = Date.parse(ts);
  return new Date(Number.isNaN(time) ? clock.now().getTime() : time).toISOString().slice(0, 10);
}

function parseLine(line: string): EventPayload | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const { ts, camera, label } = value as Record<string, unknown>;
    return typeof ts === 'string' && typeof camera === 'string' && typeof label === 'string' ? (value as EventPayload) : undefined;
  } catch {
    return undefined;
  }
}
