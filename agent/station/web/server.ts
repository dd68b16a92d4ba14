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
import type { Lang } from '../../core/i18n/lang.js';
import type { Logger } from '../../core/logger.js';
import type { Module } from '../../core/module.js';
import type { Clock } from '../../ports/clock.js';
import { ITEM_ID, HOST_ID } from '../schemas.js';
import type { StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import { CONSOLE_JS } from './assets.js';
import { CONSOLE_CSS } from './console-css.js';
import { SECURITY_HEADERS, readForm, redirect, sameOrigin, send, sendHtml, sendText } from './http.js';
import { webText } from './i18n/index.js';
import { chosenLang, langCookie, requestLang } from './language.js';
import { formatAddress, isLoopback, loopbackHostHeaders, type ListenAddress } from './listen.js';
import { verifyPassword } from './passwords.js';
import { PushScheduler } from './push.js';
import { LOCAL_OPERATOR, feedFragment, renderHealth, renderHosts, renderLoginPage, renderPage, renderSummary, type Viewer } from './render.js';
import { SESSION_COOKIE, SessionStore, clearedSessionCookie, readCookie, sameToken, sessionCookie, token, type Session } from './sessions.js';
import { SseHub } from './sse.js';
import type { StationStore } from '../store/store.js';
import { parseEventQuery } from '../store/search.js';
import { exportCsv, renderHistory } from './history.js';
import { LoginThrottle } from './throttle.js';
import type { ClipShelf } from './clips.js';
import type { LiveLook } from './look.js';
import { EvidenceRoutes } from './evidence.js';

export interface WebConsoleOptions {
  listen: ListenAddress;
  /** Operators (name → scrypt PHC). Required off loopback; on loopback it turns login on. */
  users: Map<string, string> | null;
  tls: { cert: Buffer; key: Buffer } | null;
  /** `--lang`: every page in this language unless one is chosen on the page; null lets the browser decide. */
  lang: Lang | null;
}

export interface WebConsoleDeps {
  state: StationState;
  subscriber: StationSubscriber;
  store: StationStore;
  clock: Clock;
  logger: Logger;
  /** Event clips fetched on demand (absent: the event page offers none). */
  clips?: ClipShelf;
  /** Fresh camera pictures (`cmd/snapshot`) for "look now" (absent: no such button works). */
  look?: LiveLook;
}

type Route = (req: IncomingMessage, res: ServerResponse, lang: Lang, url: URL) => Promise<void> | void;
type AuthedViewer = Viewer & { session: Session | null };
/** Pages that take a `?lang=` choice (and then drop it from the address). */
const PAGES = new Set(['/', '/login']);

export class WebConsole implements Module {
  readonly name = 'web-console';
  private server: Server | undefined;
  private readonly hub = new SseHub();
  private readonly push: PushScheduler;
  private readonly sessions: SessionStore;
  private readonly throttle: LoginThrottle;
  /** On a console without login, one token for the process (the page carries it). */
  private readonly localCsrf = token();
  private readonly evidence: EvidenceRoutes;

  constructor(private readonly options: WebConsoleOptions, private readonly deps: WebConsoleDeps) {
    this.push = new PushScheduler({ state: deps.state, subscriber: deps.subscriber, hub: this.hub, clock: deps.clock });
    this.sessions = new SessionStore(deps.clock);
    this.throttle = new LoginThrottle(deps.clock);
    this.evidence = new EvidenceRoutes({ ...deps, scheme: options.tls === null ? 'http' : 'https' });
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
    let lang: Lang = this.options.lang ?? 'en';
    try {
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      lang = requestLang(req, url, this.options.lang);
      const t = webText(lang);
      if (!this.loginRequired() && !this.hostHeaderAllowed(req)) return sendText(res, 403, t('http.loopbackOnly'));
      const chosen = chosenLang(url);
      if (req.method === 'GET' && PAGES.has(url.pathname) && chosen !== undefined) return redirect(res, url.pathname, { 'set-cookie': langCookie(chosen) });
      const route = this.route(req.method ?? 'GET', url.pathname);
      if (route === undefined) return sendText(res, 404, t('http.notFound'));
      await route(req, res, lang, url);
    } catch (err) {
      this.deps.logger.error({ err: errorMessage(err), url: req.url }, 'web request failed');
      if (!res.headersSent) sendText(res, 500, webText(lang)('http.internalError'));
      else res.end();
    }
  }

  private route(method: string, path: string): Route | undefined {
    if (method === 'GET' && path === '/static/console.css') return (_q, res) => send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, { 'cache-control': 'no-cache' });
    if (method === 'GET' && path === '/static/console.js') return (_q, res) => send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, { 'cache-control': 'no-cache' });
    if (method === 'GET' && path === '/login') return (_q, res, lang) => this.loginPage(res, lang);
    if (method === 'POST' && path === '/login') return (req, res, lang) => this.login(req, res, lang);
    if (method === 'POST' && path === '/logout') return this.authed((req, res, viewer) => this.logout(req, res, viewer));
    if (method === 'GET' && path === '/') return this.authed((_q, res, viewer) => sendHtml(res, 200, renderPage(this.deps.state, viewer), { 'content-language': viewer.lang }));
    if (method === 'GET' && path === '/events') return this.authed((_q, res, viewer) => this.events(res, viewer));
    if (method === 'POST' && path === '/ack') return this.authed((req, res, viewer) => this.acknowledge(req, res, viewer));
    const image = /^\/(thumb|sheet)\/([^/]+)\/([^/]+)\.jpg$/.exec(path);
    if (method === 'GET' && image !== null) return this.authed((_q, res, viewer) => this.image(res, viewer.lang, image[1] === 'thumb' ? 'thumbnail' : 'sheet', image[2]!, image[3]!));
    if (method === 'GET' && path === '/history') return this.authed((_q, res, viewer, url) => this.history(res, url, viewer.lang, 'html'));
    if (method === 'GET' && path === '/api/events') return this.authed((_q, res, viewer, url) => this.history(res, url, viewer.lang, 'json'));
    if (method === 'GET' && path === '/history.csv') return this.authed((_q, res, viewer, url) => this.history(res, url, viewer.lang, 'csv'));
    const event = /^\/event\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'GET' && event !== null) return this.authed((_q, res, viewer) => this.evidence.event(res, viewer, event[1]!, event[2]!));
    const frame = /^\/frame\/([^/]+)\/([^/]+)\.jpg$/.exec(path);
    if (method === 'GET' && frame !== null) return this.authed((_q, res, viewer) => this.evidence.frame(res, viewer.lang, frame[1]!, frame[2]!));
    const look = /^\/look\/([^/]+)\/([^/]+)\.jpg$/.exec(path);
    if (method === 'GET' && look !== null) return this.authed((req, res, viewer) => this.evidence.lookNow(req, res, viewer, look[1]!, look[2]!));
    const clip = /^\/clip\/([^/]+)\/([^/]+?)(\.mp4)?$/.exec(path);
    if (clip !== null && clip[3] !== undefined && (method === 'GET' || method === 'HEAD')) return this.authed((req, res, viewer) => this.evidence.clipFile(req, res, viewer.lang, clip[1]!, clip[2]!));
    if (clip !== null && clip[3] === undefined && method === 'GET') return this.authed((_q, res, viewer) => this.evidence.clipProgress(res, viewer.lang, clip[1]!, clip[2]!));
    if (clip !== null && clip[3] === undefined && method === 'POST') return this.authed((req, res, viewer) => this.evidence.fetchClip(req, res, viewer, clip[1]!, clip[2]!));
    return undefined;
  }

  private authed(next: (req: IncomingMessage, res: ServerResponse, viewer: AuthedViewer, url: URL) => Promise<void> | void): Route {
    return (req, res, lang, url) => {
      if (!this.loginRequired()) return next(req, res, { user: null, csrf: this.localCsrf, session: null, lang }, url);
      const session = this.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
      if (session === undefined) {
        const wantsPage = req.method === 'GET' && new URL(req.url ?? '/', 'http://console.invalid').pathname === '/';
        const headers = { 'www-authenticate': 'Cookie realm="minwang console"' };
        return wantsPage ? sendHtml(res, 401, renderLoginPage(lang, null), { ...headers, 'content-language': lang }) : sendText(res, 401, webText(lang)('http.logInFirst'), headers);
      }
      return next(req, res, { user: session.user, csrf: session.csrf, session, lang }, url);
    };
  }

  private hostHeaderAllowed(req: IncomingMessage): boolean {
    const port = (this.server?.address() as AddressInfo | null | undefined)?.port ?? this.options.listen.port;
    return loopbackHostHeaders(port).has(req.headers.host ?? '');
  }

  private loginPage(res: ServerResponse, lang: Lang): void {
    if (!this.loginRequired()) return redirect(res, '/');
    sendHtml(res, 200, renderLoginPage(lang, null), { 'content-language': lang });
  }

  private async login(req: IncomingMessage, res: ServerResponse, lang: Lang): Promise<void> {
    if (!this.loginRequired()) return redirect(res, '/');
    if (!sameOrigin(req, this.scheme())) return sendText(res, 403, webText(lang)('http.crossSite'));
    const address = req.socket.remoteAddress ?? 'unknown';
    // Counted before the first await: guesses sent at once cannot all be checked.
    const refused = this.throttle.begin(address);
    if (refused !== undefined) {
      if (refused !== 'blocked') this.deps.logger.warn({ address, refused }, 'login attempt refused unchecked');
      return sendHtml(res, 429, renderLoginPage(lang, refused === 'blocked' ? 'login.blocked' : 'login.busy'));
    }
    try {
      await this.checkLogin(req, res, address, lang);
    } finally {
      this.throttle.end(address);
    }
  }

  private async checkLogin(req: IncomingMessage, res: ServerResponse, address: string, lang: Lang): Promise<void> {
    const form = await readForm(req);
    const user = form?.get('user') ?? '';
    const password = form?.get('password') ?? '';
    const phc = this.options.users?.get(user);
    // An unknown user costs as much time as a wrong password, so names cannot be probed.
    const ok = await verifyPassword(password, phc ?? DUMMY_HASH) && phc !== undefined;
    if (!ok) {
      this.deps.logger.warn({ user, address }, 'failed login');
      return sendHtml(res, 401, renderLoginPage(lang, 'login.wrong'));
    }
    this.throttle.succeeded(address);
    const session = this.sessions.create(user);
    this.deps.logger.info({ user, address }, 'operator logged in');
    redirect(res, '/', { 'set-cookie': sessionCookie(session) });
  }

  private async logout(req: IncomingMessage, res: ServerResponse, viewer: AuthedViewer): Promise<void> {
    const form = await readForm(req);
    if (viewer.session === null) return redirect(res, '/');
    if (!sameOrigin(req, this.scheme()) || !sameToken(form?.get('csrf') ?? undefined, viewer.csrf)) return sendText(res, 403, webText(viewer.lang)('http.badCsrf'));
    this.sessions.delete(viewer.session.id);
    this.hub.closeSession(viewer.session.id);
    redirect(res, '/', { 'set-cookie': clearedSessionCookie() });
  }

  private events(res: ServerResponse, viewer: AuthedViewer): void {
    const { state, subscriber } = this.deps;
    const sendTo = this.hub.add(res, viewer.session?.id ?? null, viewer.lang);
    sendTo('link', { connected: subscriber.connected() });
    sendTo('summary', { html: renderSummary(state, viewer.lang).value });
    sendTo('hosts', { html: renderHosts(state, viewer.lang).value });
    sendTo('health', { html: renderHealth(state, viewer.lang).value });
    sendTo('feed', feedFragment(state, viewer));
  }

  private async acknowledge(req: IncomingMessage, res: ServerResponse, viewer: Viewer): Promise<void> {
    const t = webText(viewer.lang);
    if (!sameOrigin(req, this.scheme())) return sendText(res, 403, t('http.crossSite'));
    const form = await readForm(req);
    const header = req.headers['x-csrf-token'];
    const presented = typeof header === 'string' ? header : form?.get('csrf') ?? undefined;
    if (!sameToken(presented, viewer.csrf)) return sendText(res, 403, t('http.badCsrf'));
    const key = form?.get('key') ?? '';
    // Stored first: an acknowledgement the page showed must survive a crash. The first one wins
    // (two desks clicking together both see who was first); every console hears of it from the store.
    const ack = await this.deps.store.acknowledge(key, { by: viewer.user ?? LOCAL_OPERATOR, at: this.deps.clock.now().toISOString() });
    if (ack === undefined) return sendText(res, 404, t('http.noSuchAlert'));
    if (this.deps.state.acknowledge(key, ack) === undefined) {
      const stored = await this.deps.store.alert(key);
      if (stored !== undefined) this.deps.state.putStored(stored);
    }
    this.deps.logger.info({ key, by: ack.by }, 'alert acknowledged');
    if ((req.headers.accept ?? '').includes('application/json')) send(res, 200, 'application/json', JSON.stringify({ ok: true, key, ack }));
    else redirect(res, '/');
  }

  private async image(res: ServerResponse, lang: Lang, kind: 'thumbnail' | 'sheet', host: string, id: string): Promise<void> {
    const valid = HOST_ID.test(host) && ITEM_ID.test(id);
    // Memory holds the recent ones; an older event's thumbnail (history) comes from the store.
    const jpeg = valid ? this.deps.state.image(kind, host, id) ?? (kind === 'thumbnail' ? await this.deps.store.thumbnail(host, id) : undefined) : undefined;
    if (jpeg === undefined) return sendText(res, 404, webText(lang)('http.noSuchImage'));
    send(res, 200, 'image/jpeg', jpeg, { 'cache-control': 'private, max-age=60' });
  }

  private async history(res: ServerResponse, url: URL, lang: Lang, as: 'html' | 'json' | 'csv'): Promise<void> {
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
    sendHtml(res, 200, renderHistory(query, page, store.engine, lang));
  }

  private scheme(): 'http' | 'https' {
    return this.options.tls === null ? 'http' : 'https';
  }
}

/** A valid hash of a random password, checked against when the user name is unknown. */
const DUMMY_HASH = '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$jlv5Hd1yBMEoZBAAxvjGfJe7n8lb1NuWSRyaWPD0I2M';
