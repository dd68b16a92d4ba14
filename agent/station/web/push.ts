/**
 * Turns state changes into pushed fragments. Changes are gathered for a moment and sent
 * together, so a burst of heartbeats or a historical backlog costs one render, not hundreds.
 * A changed village is pushed as its own row; the whole host list (every host and camera:
 * thousands of rows on a big station) only when a village is new and, for ages and the stale
 * state that move with time alone, every FULL_MS.
 */
import type { Lang } from '../../core/i18n/lang.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { StationChange, StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import { renderAlert, renderHealth, renderHostRow, renderHosts, renderSummary, type Viewer } from './render.js';
import type { SseHub } from './sse.js';
import { trace } from '../trace.js';

const GATHER_MS = 150;
/** The summary counts over every host and camera view: it is rendered at most this often. */
const SUMMARY_MS = 2000;
/** The link state and a keep-alive comment go out this often. */
const REFRESH_MS = 5000;
/** The whole host list is rendered again this often (ages, the stale state), or when a village is new. */
const FULL_MS = 15_000;
/** Pushed rows carry no CSRF token: the client sends its own in a header. */
const broadcastViewer = (lang: Lang): Viewer => ({ user: null, csrf: '', lang });

export class PushScheduler {
  private readonly changedHosts = new Set<string>();
  private health = false;
  private readonly alerts = new Set<string>();
  /** The villages the pages' host lists hold (as of the last full render). */
  private listed = new Set<string>();
  private full = true;
  private fullAt = Number.NEGATIVE_INFINITY;
  private summary = false;
  private summaryAt = Number.NEGATIVE_INFINITY;
  private pending: TimerHandle | undefined;
  private summaryPending: TimerHandle | undefined;
  private refresh: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: { state: StationState; subscriber: StationSubscriber; hub: SseHub; clock: Clock }) {}

  start(): void {
    this.unsubscribe = this.deps.state.onChange((change) => this.mark(change));
    this.refresh = this.deps.clock.setInterval(() => this.periodic(), REFRESH_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    for (const timer of [this.pending, this.summaryPending]) if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    if (this.refresh !== undefined) this.deps.clock.clearInterval(this.refresh);
  }

  private mark(change: StationChange): void {
    if (change.kind === 'host') this.changedHosts.add(change.host);
    else if (change.kind === 'health') {
      this.health = true;
      this.changedHosts.add(change.host);
    } else {
      this.alerts.add(change.key);
      // A village's cameras show their newest alert picture.
      this.changedHosts.add(change.key.slice(0, change.key.indexOf('/')));
    }
    this.pending ??= this.deps.clock.setTimeout(() => this.flush(), GATHER_MS);
  }

  private periodic(): void {
    const { hub, subscriber, clock } = this.deps;
    if (hub.size() === 0) return;
    hub.broadcast('link', { connected: subscriber.connected() });
    hub.ping();
    trace('sse', String(hub.queuedBytes()));
    if (clock.now().getTime() - this.fullAt >= FULL_MS) this.full = true;
    this.flush();
  }

  private flush(): void {
    if (this.pending !== undefined) this.deps.clock.clearTimeout(this.pending);
    this.pending = undefined;
    const { hub, state, clock } = this.deps;
    const alerts = [...this.alerts];
    const hosts = [...this.changedHosts];
    const [health, full] = [this.health, this.full || hosts.some((id) => !this.listed.has(id))];
    this.alerts.clear();
    this.changedHosts.clear();
    this.health = false;
    this.full = false;
    if (hub.size() === 0) return;
    if (full) {
      this.fullAt = clock.now().getTime();
      this.listed = new Set(state.hostIds());
      hub.broadcastInLanguage('hosts', (lang) => ({ html: renderHosts(state, lang).value }), true);
    } else {
      for (const id of hosts) {
        const host = state.host(id);
        // A page far behind skips rows too: the next whole list (FULL_MS) brings it up to date.
        if (host !== undefined) hub.broadcastInLanguage('host', (lang) => ({ id, html: renderHostRow(host, lang).value }), true);
      }
    }
    if (health) hub.broadcastInLanguage('health', (lang) => ({ html: renderHealth(state, lang).value }), true);
    for (const key of alerts) {
      const alert = state.alert(key);
      if (alert === undefined) continue;
      const hasThumbnail = state.hasImage('thumbnail', alert.host, alert.id);
      hub.broadcastInLanguage('alert', (lang) => ({ key, html: renderAlert(alert, hasThumbnail, broadcastViewer(lang)).value }));
      trace('push', key);
    }
    if (full || hosts.length > 0 || alerts.length > 0) this.flushSummary();
  }

  /** Renders the summary now, or once SUMMARY_MS has passed since the last one. */
  private flushSummary(): void {
    const { hub, state, clock } = this.deps;
    const wait = this.summaryAt + SUMMARY_MS - clock.now().getTime();
    if (wait > 0) {
      this.summaryPending ??= clock.setTimeout(() => {
        this.summaryPending = undefined;
        this.flushSummary();
      }, wait);
      return;
    }
    this.summaryAt = clock.now().getTime();
    hub.broadcastInLanguage('summary', (lang) => ({ html: renderSummary(state, lang).value }), true);
  }
}
