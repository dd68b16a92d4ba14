/**
 * The investigator's search over stored events: filters read from a URL query (untrusted: every
 * field checked and bounded), keyset paging (newest first, stable under inserts), and the CSV
 * export, safe to open in a spreadsheet.
 */
import { AgentError } from '../../core/errors.js';
import type { AlertEntry } from '../alerts.js';
import { CAMERA_ID, HOST_ID } from '../schemas.js';

export interface EventQuery {
  host?: string;
  camera?: string;
  label?: string;
  /** true: alerting events only; false: quiet ones only. */
  alert?: boolean;
  /** Inclusive lower and exclusive upper bound on the event's (clamped) start time. */
  from?: Date;
  to?: Date;
  /** Continue after this event (from the previous page's `next`). */
  after?: { sortAt: string; key: string };
  limit: number;
}

export interface EventPage {
  events: (AlertEntry & { hasThumbnail: boolean })[];
  /** Cursor of the next page; null on the last. */
  next: string | null;
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;
/** Rows one CSV export holds at most (a narrower search gets the rest). */
export const MAX_EXPORT_ROWS = 10_000;

/** Reads a search from URL parameters; throws AgentError('usage') naming the bad one. */
export function parseEventQuery(params: URLSearchParams): EventQuery {
  const query: EventQuery = { limit: DEFAULT_PAGE };
  const text = (name: string) => {
    const value = params.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const host = text('host');
  if (host !== undefined) query.host = checked('host', host, HOST_ID, 'a host id ([a-z0-9-]{1,64})');
  const camera = text('camera');
  if (camera !== undefined) query.camera = checked('camera', camera, CAMERA_ID, 'a camera id ([a-z0-9-]{1,32})');
  const label = text('label');
  if (label !== undefined) query.label = checked('label', label, /^[^\p{Cc}]{1,32}$/u, 'a label of 1-32 characters');
  const kind = text('kind');
  if (kind !== undefined) {
    if (kind !== 'alert' && kind !== 'quiet') throw bad('kind', kind, '"alert" or "quiet"');
    query.alert = kind === 'alert';
  }
  const from = text('from');
  if (from !== undefined) query.from = time('from', from);
  const to = text('to');
  if (to !== undefined) query.to = time('to', to);
  const limit = text('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw bad('limit', limit, `a whole number from 1 to ${MAX_PAGE}`);
    query.limit = n;
  }
  const after = text('after');
  if (after !== undefined) query.after = decodeCursor(after);
  return query;
}

function checked(name: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw bad(name, value, what);
  return value;
}

/** `2026-11-30`, `2026-11-30T08:00`, `2026-11-30T08:00:00Z` or with an offset; without a zone it is UTC. */
function time(name: string, value: string): Date {
  const m = /^(\d{4}-\d\d-\d\d)(T\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?)?(Z|[+-]\d\d:\d\d)?$/.exec(value);
  const at = m === null ? NaN : Date.parse(`${m[1]}${m[2] ?? 'T00:00'}${m[3] ?? 'Z'}`);
  if (!Number.isFinite(at)) throw bad(name, value, 'a time like 2026-11-30T08:00 (UTC) or 2026-11-30T16:00+08:00');
  return new Date(at);
}

function bad(name: string, value: string, what: string): AgentError {
  return new AgentError('usage', `${name}=${JSON.stringify(value.slice(0, 80))}: expected ${what}`);
}

export function encodeCursor(entry: Pick<AlertEntry, 'sortAt' | 'key'>): string {
  return Buffer.from(JSON.stringify([new Date(entry.sortAt).toISOString(), entry.key])).toString('base64url');
}

function decodeCursor(text: string): { sortAt: string; key: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
      && Number.isFinite(Date.parse(value[0])) && value[1].length <= 200) {
      return { sortAt: new Date(value[0]).toISOString(), key: value[1] };
    }
  } catch {
    // reported below
  }
  throw bad('after', text, 'the "next" cursor of a previous page');
}

/** The query without paging, as URL parameters (for links to the next page and the export). */
export function queryParams(query: EventQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.host !== undefined) params.set('host', query.host);
  if (query.camera !== undefined) params.set('camera', query.camera);
  if (query.label !== undefined) params.set('label', query.label);
  if (query.alert !== undefined) params.set('kind', query.alert ? 'alert' : 'quiet');
  if (query.from !== undefined) params.set('from', query.from.toISOString());
  if (query.to !== undefined) params.set('to', query.to.toISOString());
  return params;
}

const CSV_COLUMNS = ['host', 'camera', 'event', 'label', 'max_score', 'alert', 'quiet', 'started_at', 'ended_at', 'delayed', 'acknowledged_by', 'acknowledged_at'] as const;

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(e: AlertEntry): string {
  const cells = [e.host, e.camera, e.id, e.label, e.maxScore.toFixed(3), String(e.alert), e.quiet ?? '', e.startedAt, e.endedAt ?? '', String(e.delayed), e.ack?.by ?? '', e.ack?.at ?? ''];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * One CSV cell. A cell a spreadsheet would run as a formula (starting with = + - @, or a tab or
 * carriage return that hides one) gets a leading apostrophe; every cell is quoted.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}
