/**
 * The web console: one HTTP(S) server on the station, fed by the station state. Browsers never
 * talk MQTT; they get pages, pushed fragments (/events) and images, and post acknowledgements.
 *
 * Access: a console listening on loopback (127.0.0.1 or ::1) needs no login unless asked for,
 * but only answers to loopback Host names (no DNS rebinding). Anywhere else it needs a login:
 * pages, /events and images answer 401 without a session.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';
import { ITEM_ID, HOST_ID } from '../schemas.js';
import type { StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { SECURITY_HEADERS, readForm, redirect, sameOrigin, send, sendHtml, sendText } from './http.js';
import { formatAddress, isLoopback, loopbackHostHeaders, type ListenAddress } from './listen.js';
import { verifyPassword } from './passwords.js';
import { PushScheduler } from './push.js';
import { renderFeed, renderHealth, renderHosts, renderLoginPage, renderPage, renderSummary, type Viewer } from './render.js';
import { SESSION_COOKIE, SessionStore, clearedSessionCookie, readCookie, sameToken, sessionCookie, token, type Session } from './sessions.js';
import { SseHub } from './sse.js';
import type { StationStore } from '../store/store.js';
import { parseEventQuery } from '../store/search.js';
import { exportCsv, renderEvent, renderHistory } from './history.js';
import { LoginThrottle } from './throttle.js';

export interface WebConsoleOptions {
  listen: ListenAddress;
  /** Operators (name → scrypt PHC). Required off loopback; on loopback it turns login on. */
  users: Map<string, string> | null;
  tls: { cert: Buffer; key: Buffer } | null;
}

export interface WebConsoleDeps {
  state: StationState;
  subscriber: StationSubscriber;
  store: StationStore;
  clock: Clock;
  logger: Logger;
}

/** Who acknowledges on a loopback console without login. */
const LOCAL_OPERATOR = 'local operator';

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export class WebConsole implements Module {
  readonly name = 'web-console';
  private server: Server | undefined;
  private readonly hub = new SseHub();
  private readonly push: PushScheduler;
  private readonly sessions: SessionStore;
  private readonly throttle: LoginThrottle;
  /** On a console without login, one token for the process (the page carries it). */
  private readonly localCsrf = token();

  constructor(private readonly options: WebConsoleOptions, private readonly deps: WebConsoleDeps) {
    this.push = new PushScheduler({ state: deps.state, subscriber: deps.subscriber, hub: this.hub, clock: deps.clock });
    this.sessions = new SessionStore(deps.clock);
    this.throttle = new LoginThrottle(deps.clock);
  }

  /** Login is needed off loopback, and on loopback when users are given (behind a proxy). */
  loginRequired(): boolean {
    return this.options.users !== null || !isLoopback(this.options.listen.host);
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.options.tls === null ? createHttpServer(handler) : createHttpsServer({ cert: this.options.tls.cert, key: this.options.tls.key }, handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.push.start();
    this.deps.logger.info({ url: this.url(), login: this.loginRequired() }, 'web console listening');
  }

  async stop(): Promise<void> {
    this.push.stop();
    this.hub.closeAll();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    const port = address?.port ?? this.options.listen.port;
    return `${this.options.tls === null ? 'http' : 'https'}://${formatAddress({ host: this.options.listen.host, port })}/`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      if (!this.loginRequired() && !this.hostHeaderAllowed(req)) return sendText(res, 403, 'this console answers to 127.0.0.1, localhost and [::1] only');
      const route = this.route(req.method ?? 'GET', url.pathname);
      if (route === undefined) return sendText(res, 404, 'not found');
      await route(req, res, url);
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err), url: req.url }, 'web request failed');
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.end();
    }
  }

  private route(method: string, path: string): Route | undefined {
    if (method === 'GET' && path === '/static/console.css') return (_q, res) => send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, { 'cache-control': 'no-cache' });
    if (method === 'GET' && path === '/static/console.js') return (_q, res) => send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, { 'cache-control': 'no-cache' });
    if (method === 'GET' && path === '/login') return (req, res) => this.loginPage(req, res);
    if (method === 'POST' && path === '/login') return (req, res) => this.login(req, res);
    if (method === 'POST' && path === '/logout') return this.authed((req, res, viewer) => this.logout(req, res, viewer));
    if (method === 'GET' && path === '/') return this.authed((_q, res, viewer) => sendHtml(res, 200, renderPage(this.deps.state, viewer)));
    if (method === 'GET' && path === '/events') return this.authed((_q, res, viewer) => this.events(res, viewer));
    if (method === 'POST' && path === '/ack') return this.authed((req, res, viewer) => this.acknowledge(req, res, viewer));
    const image = /^\/(thumb|sheet)\/([^/]+)\/([^/]+)\.jpg$/.exec(path);
    if (method === 'GET' && image !== null) return this.authed((_q, res) => this.image(res, image[1] === 'thumb' ? 'thumbnail' : 'sheet', image[2]!, image[3]!));
    if (method === 'GET' && path === '/history') return this.authed((_q, res, _v, url) => this.history(res, url, 'html'));
    if (method === 'GET' && path === '/api/events') return this.authed((_q, res, _v, url) => this.history(res, url, 'json'));
    if (method === 'GET' && path === '/history.csv') return this.authed((_q, res, _v, url) => this.history(res, url, 'csv'));
    const event = /^\/event\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'GET' && event !== null) return this.authed((_q, res) => this.event(res, event[1]!, event[2]!));
    return undefined;
  }

  private authed(next: (req: IncomingMessage, res: ServerResponse, viewer: Viewer & { session: Session | null }, url: URL) => Promise<void> | void): Route {
    return (req, res, url) => {
      if (!this.loginRequired()) return next(req, res, { user: null, csrf: this.localCsrf, session: null }, url);
      const session = this.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (session === undefined) {
        const wantsPage = req.method === 'GET' && req.url === '/';
        const headers = { 'www-authenticate': 'Cookie realm="minwang console"' };
        return wantsPage ? sendHtml(res, 401, renderLoginPage(null), headers) : sendText(res, 401, 'log in first', headers);
      }
      return next(req, res, { user: session.user, csrf: session.csrf, session }, url);
    };
  }

  private hostHeaderAllowed(req: IncomingMessage): boolean {
    const port = (this.server?.address() as AddressInfo | null | undefined)?.port ?? this.options.listen.port;
    return loopbackHostHeaders(port).has(req.headers.host ?? '');
  }

  private loginPage(_req: IncomingMessage, res: ServerResponse): void {
    if (!this.loginRequired()) return redirect(res, '/');
    sendHtml(res, 200, renderLoginPage(null));
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.loginRequired()) return redirect(res, '/');
    if (!sameOrigin(req, this.scheme())) return sendText(res, 403, 'cross-site request refused');
    const address = req.socket.remoteAddress ?? 'unknown';
    // Counted before the first await: guesses sent at once cannot all be checked.
    const refused = this.throttle.begin(address);
    if (refused !== undefined) {
      if (refused !== 'blocked') this.deps.logger.warn({ address, refused }, 'login attempt refused unchecked');
      return sendHtml(res, 429, renderLoginPage(refused === 'blocked' ? 'Too many failed attempts. Wait five minutes.' : 'Another login is being checked. Try again in a moment.'));
    }
    try {
      await this.checkLogin(req, res, address);
    } finally {
      this.throttle.end(address);
    }
  }

  private async checkLogin(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    const form = await readForm(req);
    const user = form?.get('user') ?? '';
    const password = form?.get('password') ?? '';
    const phc = this.options.users?.get(user);
    // An unknown user costs as much time as a wrong password, so names cannot be probed.
    const ok = await verifyPassword(password, phc ?? DUMMY_HASH) && phc !== undefined;
    if (!ok) {
      this.deps.logger.warn({ user, address }, 'failed login');
      return sendHtml(res, 401, renderLoginPage('Wrong user name or password.'));
    }
    this.throttle.succeeded(address);
    const session = this.sessions.create(user);
    this.deps.logger.info({ user, address }, 'operator logged in');
    redirect(res, '/', { 'set-cookie': sessionCookie(session) });
  }

  private async logout(req: IncomingMessage, res: ServerResponse, viewer: Viewer & { session: Session | null }): Promise<void> {
    const form = await readForm(req);
    if (viewer.session === null) return redirect(res, '/');
    if (!sameOrigin(req, this.scheme()) || !sameToken(form?.get('csrf') ?? undefined, viewer.csrf)) return sendText(res, 403, 'bad CSRF token');
    this.sessions.delete(viewer.session.id);
    this.hub.closeSession(viewer.session.id);
    redirect(res, '/', { 'set-cookie': clearedSessionCookie() });
  }

  private events(res: ServerResponse, viewer: Viewer & { session: Session | null }): void {
    const { state, subscriber } = this.deps;
    const sendTo = this.hub.add(res, viewer.session?.id ?? null);
    sendTo('link', { connected: subscriber.connected() });
    sendTo('summary', { html: renderSummary(state).value });
    sendTo('hosts', { html: renderHosts(state).value });
    sendTo('health', { html: renderHealth(state).value });
    sendTo('feed', { html: renderFeed(state, viewer).value });
  }

  private async acknowledge(req: IncomingMessage, res: ServerResponse, viewer: Viewer): Promise<void> {
    if (!sameOrigin(req, this.scheme())) return sendText(res, 403, 'cross-site request refused');
    const form = await readForm(req);
    const header = req.headers['x-csrf-token'];
    const presented = typeof header === 'string' ? header : form?.get('csrf') ?? undefined;
    if (!sameToken(presented, viewer.csrf)) return sendText(res, 403, 'bad CSRF token');
    const key = form?.get('key') ?? '';
    // Stored first: an acknowledgement the page showed must survive a crash. The first one wins
    // (two desks clicking together both see who was first); every console hears of it from the store.
    const ack = await this.deps.store.acknowledge(key, { by: viewer.user ?? LOCAL_OPERATOR, at: this.deps.clock.now().toISOString() });
    if (ack === undefined) return sendText(res, 404, 'no such alert');
    if (this.deps.state.acknowledge(key, ack) === undefined) {
      const stored = await this.deps.store.alert(key);
      if (stored !== undefined) this.deps.state.putStored(stored);
    }
    this.deps.logger.info({ key, by: ack.by }, 'alert acknowledged');
    if ((req.headers.accept ?? '').includes('application/json')) send(res, 200, 'application/json', JSON.stringify({ ok: true, key, ack }));
    else redirect(res, '/');
  }

  private async image(res: ServerResponse, kind: 'thumbnail' | 'sheet', host: string, id: string): Promise<void> {
    const valid = HOST_ID.test(host) && ITEM_ID.test(id);
    // Memory holds the recent ones; an older event's thumbnail (history) comes from the store.
    const jpeg = valid ? this.deps.state.image(kind, host, id) ?? (kind === 'thumbnail' ? await this.deps.store.thumbnail(host, id) : undefined) : undefined;
    if (jpeg === undefined) return sendText(res, 404, 'no such image');
    send(res, 200, 'image/jpeg', jpeg, { 'cache-control': 'private, max-age=60' });
  }

  private async history(res: ServerResponse, url: URL, as: 'html' | 'json' | 'csv'): Promise<void> {
    let query;
    try {
      query = parseEventQuery(url.searchParams);
    } catch (err) {
      return sendText(res, 400, errorMessage(err));
    }
    const { store } = this.deps;
    if (as === 'csv') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="minwang-events.csv"', 'cache-control': 'no-store' });
      await exportCsv(query, (q) => store.search(q), (chunk) => res.write(chunk));
      res.end();
      return;
    }
    const page = await store.search(query);
    if (as === 'json') return send(res, 200, 'application/json', JSON.stringify(page));
    sendHtml(res, 200, renderHistory(query, page, store.engine));
  }

  private async event(res: ServerResponse, host: string, id: string): Promise<void> {
    if (!HOST_ID.test(host) || !ITEM_ID.test(id)) return sendText(res, 404, 'no such event');
    const entry = this.deps.state.alert(`${host}/${id}`) ?? await this.deps.store.alert(`${host}/${id}`);
    if (entry === undefined) return sendText(res, 404, 'no such event');
    const hasThumbnail = this.deps.state.hasImage('thumbnail', host, id) || await this.deps.store.thumbnail(host, id) !== undefined;
    sendHtml(res, 200, renderEvent(entry, hasThumbnail));
  }

  private scheme(): 'http' | 'https' {
    return this.options.tls === null ? 'http' : 'https';
  }
}

/** A valid hash of a random password, checked against when the user name is unknown. */
const DUMMY_HASH = '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$jlv5Hd1yBMEoZBAAxvjGfJe7n8lb1NuWSRyaWPD0I2M';
