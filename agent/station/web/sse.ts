/** Browsers connected to /events (Server-Sent Events), and what is pushed to them. */
import type { ServerResponse } from 'node:http';
import type { Lang } from '../../core/i18n/lang.js';

interface Client {
  res: ServerResponse;
  sessionId: string | null;
  /** The language of the page that opened the stream: fragments pushed to it are in it too. */
  lang: Lang;
  /** Rows (alerts) waiting while the client is behind, newest version per key, in order of change. */
  rows: Map<string, unknown>;
  /** Too many rows waited: the whole section goes instead, once it catches up. */
  rowsOverflowed: boolean;
  /** A fragment that replaces the last was skipped: the whole of its sections go once it catches up. */
  skipped: boolean;
  /** Waiting for the socket to drain. */
  waiting: boolean;
}

/**
 * A client that has this much unread is behind (a slow link, a busy browser): nothing more is
 * written to it until it has taken most of it. Whole-section fragments, each replacing the last, are
 * skipped meanwhile (it gets the whole sections once it catches up); rows (alerts) wait, coalesced
 * to their newest version, so what is queued for one page is bounded however long it lags.
 */
const BEHIND_BYTES = 256 * 1024;
/** Rows waiting for one client at most; past it, the whole section (the newest rows) replaces them. */
export const MAX_WAITING_ROWS = 300;

/** What a client that fell behind gets when it catches up, rendered in its language. */
export interface CatchUp {
  /** The whole row section (for a client that missed more rows than MAX_WAITING_ROWS). */
  rows: (lang: Lang) => { event: string; data: unknown };
  /** The whole of each replaceable section (for a client that skipped some). */
  sections: (lang: Lang) => { event: string; data: unknown }[];
}

export class SseHub {
  private readonly clients = new Set<Client>();

  size(): number {
    return this.clients.size;
  }

  /** Takes over the response; returns a function that sends to this client only. */
  add(res: ServerResponse, sessionId: string | null, lang: Lang): (event: string, data: unknown) => void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // Reconnect quickly after a console restart.
    res.write('retry: 2000\n\n');
    const client: Client = { res, sessionId, lang, rows: new Map(), rowsOverflowed: false, skipped: false, waiting: false };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    return (event, data) => send(res, event, data);
  }

  broadcast(event: string, data: unknown): void {
    for (const client of this.clients) send(client.res, event, data);
  }

  /**
   * Sends what `render` makes for each client's language, rendering once per language in use.
   * `replaces`: the fragment supersedes the previous one of its event, so a client far behind skips it.
   */
  broadcastInLanguage(event: string, render: (lang: Lang) => unknown, replaces = false): void {
    const rendered = new Map<Lang, unknown>();
    for (const client of this.clients) {
      if (replaces && behind(client)) {
        client.skipped = true;
        continue;
      }
      if (!rendered.has(client.lang)) rendered.set(client.lang, render(client.lang));
      send(client.res, event, rendered.get(client.lang));
    }
  }

  /**
   * Sends rows (`event` each, e.g. alerts) in one write per client. A client that is behind gets
   * them later, each key's newest version once, when its socket has drained; `catchUp` renders what
   * replaces them if too many waited, and the sections it skipped.
   */
  broadcastRows(event: string, rows: readonly { key: string; render: (lang: Lang) => unknown }[], catchUp: CatchUp): void {
    const rendered = new Map<string, unknown>();
    for (const client of this.clients) {
      if (!client.rowsOverflowed) {
        for (const row of rows) {
          const id = `${client.lang} ${row.key}`;
          if (!rendered.has(id)) rendered.set(id, row.render(client.lang));
          client.rows.delete(row.key);
          client.rows.set(row.key, rendered.get(id));
        }
        if (client.rows.size > MAX_WAITING_ROWS) {
          client.rows.clear();
          client.rowsOverflowed = true;
        }
      }
      this.flushRows(client, event, catchUp);
    }
  }

  /** How many rows wait for clients that are behind (all clients together). */
  waitingRows(): number {
    let n = 0;
    for (const client of this.clients) n += client.rows.size;
    return n;
  }

  private flushRows(client: Client, event: string, catchUp: CatchUp): void {
    if (behind(client)) {
      if (!client.waiting) {
        client.waiting = true;
        client.res.once('drain', () => {
          client.waiting = false;
          if (this.clients.has(client)) this.flushRows(client, event, catchUp);
        });
      }
      return;
    }
    let chunk = '';
    if (client.skipped) {
      client.skipped = false;
      for (const section of catchUp.sections(client.lang)) chunk += frame(section.event, section.data);
    }
    if (client.rowsOverflowed) {
      client.rowsOverflowed = false;
      const whole = catchUp.rows(client.lang);
      chunk += frame(whole.event, whole.data);
    }
    for (const data of client.rows.values()) chunk += frame(event, data);
    client.rows.clear();
    if (chunk !== '') client.res.write(chunk);
  }

  /** Bytes written and not yet taken by the slowest client's socket. */
  queuedBytes(): number {
    let most = 0;
    for (const client of this.clients) most = Math.max(most, client.res.writableLength);
    return most;
  }

  /** A comment line keeps proxies and idle timers from closing quiet streams. */
  ping(): void {
    for (const client of this.clients) client.res.write(': ping\n\n');
  }

  closeSession(sessionId: string): void {
    for (const client of this.clients) if (client.sessionId === sessionId) client.res.end();
  }

  closeAll(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }
}

function behind(client: Client): boolean {
  return client.res.writableLength > BEHIND_BYTES;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(frame(event, data));
}
