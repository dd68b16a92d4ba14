/** Browsers connected to /events (Server-Sent Events), and what is pushed to them. */
import type { ServerResponse } from 'node:http';
import type { Lang } from '../../core/i18n/lang.js';

interface Client {
  res: ServerResponse;
  sessionId: string | null;
  /** The language of the page that opened the stream: fragments pushed to it are in it too. */
  lang: Lang;
}

/**
 * A client that has this much unread is behind (a slow link, a busy browser): whole-section
 * fragments, each replacing the last, are not queued for it until it catches up. Alerts always are.
 */
const BEHIND_BYTES = 1 << 20;

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
    const client = { res, sessionId, lang };
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
      if (replaces && client.res.writableLength > BEHIND_BYTES) continue;
      if (!rendered.has(client.lang)) rendered.set(client.lang, render(client.lang));
      send(client.res, event, rendered.get(client.lang));
    }
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

function send(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
