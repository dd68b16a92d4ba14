/**
 * Turns state changes into pushed fragments. Changes are gathered for a moment and sent
 * together, so a burst of heartbeats or a historical backlog costs one render, not hundreds.
 */
import type { Lang } from '../../core/i18n/lang.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { StationChange, StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import { renderAlert, renderHealth, renderHosts, renderSummary, type Viewer } from './render.js';
import type { SseHub } from './sse.js';

const GATHER_MS = 150;
/**
 * The host list is one fragment for every host and camera (thousands of rows on a big station), and
 * the summary counts over the same views: both are rendered at most this often, however fast alerts
 * and heartbeats come.
 */
const HOSTS_MS = 2000;
/** Ages and the stale state move with time alone: refresh the host list this often. */
const REFRESH_MS = 5000;
/** Pushed rows carry no CSRF token: the client sends its own in a header. */
const broadcastViewer = (lang: Lang): Viewer => ({ user: null, csrf: '', lang });

export class PushScheduler {
  private hosts = false;
  private health = false;
  private readonly alerts = new Set<string>();
  private pending: TimerHandle | undefined;
  private hostsPending: TimerHandle | undefined;
  private hostsAt = Number.NEGATIVE_INFINITY;
  private refresh: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: { state: StationState; subscriber: StationSubscriber; hub: SseHub; clock: Clock }) {}

  start(): void {
    this.unsubscribe = this.deps.state.onChange((change) => this.mark(change));
    this.refresh = this.deps.clock.setInterval(() => this.periodic(), REFRESH_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.pending !== undefined) this.deps.clock.clearTimeout(this.pending);
    if (this.hostsPending !== undefined) this.deps.clock.clearTimeout(this.hostsPending);
    if (this.refresh !== undefined) this.deps.clock.clearInterval(this.refresh);
  }

  private mark(change: StationChange): void {
    if (change.kind === 'host') this.hosts = true;
    else if (change.kind === 'health') this.health = true;
    else this.alerts.add(change.key);
    this.pending ??= this.deps.clock.setTimeout(() => this.flush(), GATHER_MS);
  }

  private periodic(): void {
    const { hub, subscriber } = this.deps;
    if (hub.size() === 0) return;
    hub.broadcast('link', { connected: subscriber.connected() });
    hub.ping();
    this.hosts = true;
    this.flush();
  }

  /** Renders the host list now, or marks it for when HOSTS_MS has passed since the last one. */
  private flushHosts(): void {
    const { hub, state, clock } = this.deps;
    const wait = this.hostsAt + HOSTS_MS - clock.now().getTime();
    if (wait > 0) {
      this.hostsPending ??= clock.setTimeout(() => {
        this.hostsPending = undefined;
        this.flushHosts();
      }, wait);
      return;
    }
    this.hostsAt = clock.now().getTime();
    hub.broadcastInLanguage('hosts', (lang) => ({ html: renderHosts(state, lang).value }), true);
    // Counted over the same views (every host and camera): refreshed with the list.
    hub.broadcastInLanguage('summary', (lang) => ({ html: renderSummary(state, lang).value }), true);
  }

  private flush(): void {
    this.pending = undefined;
    const { hub, state } = this.deps;
    const alerts = [...this.alerts];
    const [hosts, health] = [this.hosts, this.health];
    this.alerts.clear();
    this.hosts = false;
    this.health = false;
    if (hub.size() === 0) return;
    if (hosts || alerts.length > 0) this.flushHosts();
    if (health) hub.broadcastInLanguage('health', (lang) => ({ html: renderHealth(state, lang).value }), true);
    for (const key of alerts) {
      const alert = state.alert(key);
      if (alert === undefined) continue;
      const hasThumbnail = state.hasImage('thumbnail', alert.host, alert.id);
      hub.broadcastInLanguage('alert', (lang) => ({ key, html: renderAlert(alert, hasThumbnail, broadcastViewer(lang)).value }));
    }
  }
}
