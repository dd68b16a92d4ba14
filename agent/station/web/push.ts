/**
 * Turns state changes into pushed fragments. Changes are gathered for a moment and sent
 * together, so a burst of heartbeats or a historical backlog costs one render, not hundreds.
 * Alert rows go out every GATHER_MS, in one write per page, coalesced per page while that page is
 * behind (SseHub.broadcastRows). A changed village is pushed as its own row, at most every
 * HOSTS_MS; the whole host list (every host and camera: thousands of rows on a big station) only
 * when a village is new or a page that fell behind catches up. Ages tick on the page; a village
 * turning stale is found every REFRESH_MS and pushed as its row.
 */
import type { Lang } from '../../core/i18n/lang.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { HostLiveness } from '../hosts.js';
import type { HostView, StationChange, StationState } from '../state.js';
import type { StationSubscriber } from '../subscriber.js';
import { feedFragment, renderAlert, renderCameraTile, renderHealth, renderHostRow, renderHosts, renderSummary, type Viewer } from './render.js';
import type { CatchUp, SseHub } from './sse.js';
import { trace } from '../trace.js';

const GATHER_MS = 150;
/** The summary counts over every host and camera: it is rendered at most this often. */
const SUMMARY_MS = 2000;
/**
 * Changed villages are pushed at most this often (each row holds every camera with its newest
 * picture: at 100 events/s most villages change every few seconds, and the page's browser spent
 * most of its time swapping them in, so alert rows waited minutes behind them).
 */
const HOSTS_MS = 2000;
/** The link state, a keep-alive comment and villages turned stale (or back) go out this often. */
const REFRESH_MS = 5000;
/** Pushed rows carry no CSRF token: the client sends its own in a header. */
const broadcastViewer = (lang: Lang): Viewer => ({ user: null, csrf: '', lang });

export class PushScheduler {
  private readonly changedHosts = new Set<string>();
  private health = false;
  private readonly alerts = new Set<string>();
  /** The villages the pages' host lists hold, and the liveness each was last pushed with. */
  private listed = new Map<string, HostLiveness | undefined>();
  private full = true;
  private hostsAt = Number.NEGATIVE_INFINITY;
  private hostsPending: TimerHandle | undefined;
  private summaryAt = Number.NEGATIVE_INFINITY;
  private pending: TimerHandle | undefined;
  private summaryPending: TimerHandle | undefined;
  private refresh: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly catchUp: CatchUp;
  /**
   * What the pages were last sent of each village (its row without cameras and age) and camera:
   * a village whose row is unchanged but for some cameras (a new picture: most changes at load)
   * or its last sign of life gets only those ('cams'), not its whole row of every camera.
   */
  private readonly sentRow = new Map<string, string>();
  private readonly sentCamera = new Map<string, string>();
  private readonly sentSeen = new Map<string, number | null>();

  constructor(private readonly deps: { state: StationState; subscriber: StationSubscriber; hub: SseHub; clock: Clock }) {
    const { state } = deps;
    this.catchUp = {
      rows: (lang) => ({ event: 'feed', data: feedFragment(state, broadcastViewer(lang)) }),
      sections: (lang) => [
        { event: 'hosts', data: { html: renderHosts(state, lang).value } },
        { event: 'health', data: { html: renderHealth(state, lang).value } },
        { event: 'summary', data: { html: renderSummary(state, lang).value } },
      ],
    };
  }

  start(): void {
    this.unsubscribe = this.deps.state.onChange((change) => this.mark(change));
    this.refresh = this.deps.clock.setInterval(() => this.periodic(), REFRESH_MS);
  }

  stop(): void {
    this.unsubscribe?.();
    for (const timer of [this.pending, this.summaryPending, this.hostsPending]) if (timer !== undefined) this.deps.clock.clearTimeout(timer);
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
    const { hub, subscriber, state } = this.deps;
    if (hub.size() === 0) return;
    hub.broadcast('link', { connected: subscriber.connected() });
    hub.ping();
    trace('sse', String(hub.queuedBytes()));
    // Ages tick on the page; what turns with time alone is a village going stale (or coming back).
    for (const [id, was] of this.listed) if (state.liveness(id) !== was) this.changedHosts.add(id);
    this.flush();
  }

  private flush(): void {
    if (this.pending !== undefined) this.deps.clock.clearTimeout(this.pending);
    this.pending = undefined;
    const { hub, state } = this.deps;
    const alerts = [...this.alerts];
    const health = this.health;
    this.alerts.clear();
    this.health = false;
    if (hub.size() === 0) {
      this.changedHosts.clear();
      return;
    }
    if (this.full || [...this.changedHosts].some((id) => !this.listed.has(id))) this.flushHosts();
    else if (this.changedHosts.size > 0) this.hostsPending ??= this.deps.clock.setTimeout(() => this.flushHosts(), Math.max(0, this.hostsAt + HOSTS_MS - this.deps.clock.now().getTime()));
    if (health) hub.broadcastInLanguage('health', (lang) => ({ html: renderHealth(state, lang).value }), true);
    const rows: { key: string; render: (lang: Lang) => unknown }[] = [];
    for (const key of alerts) {
      const alert = state.alert(key);
      if (alert === undefined) continue;
      const hasThumbnail = state.hasImage('thumbnail', alert.host, alert.id);
      rows.push({ key, render: (lang) => ({ key, html: renderAlert(alert, hasThumbnail, broadcastViewer(lang)).value }) });
      trace('push', key);
    }
    // Also with no rows: a page that has caught up gets what it missed.
    hub.broadcastRows('alert', rows, this.catchUp);
    if (health || rows.length > 0) this.flushSummary();
  }

  /** The changed villages' rows (the whole list when a village is new), then the summary. */
  private flushHosts(): void {
    if (this.hostsPending !== undefined) this.deps.clock.clearTimeout(this.hostsPending);
    this.hostsPending = undefined;
    const { hub, state, clock } = this.deps;
    const hosts = [...this.changedHosts];
    this.changedHosts.clear();
    this.hostsAt = clock.now().getTime();
    if (hub.size() === 0) return;
    if (this.full || hosts.some((id) => !this.listed.has(id))) {
      this.full = false;
      this.listed = new Map(state.hostIds().map((id) => [id, state.liveness(id)]));
      for (const map of [this.sentRow, this.sentCamera, this.sentSeen]) map.clear();
      hub.broadcastInLanguage('hosts', (lang) => ({ html: renderHosts(state, lang).value }), true);
    } else {
      for (const id of hosts) {
        const host = state.host(id);
        if (host === undefined) continue;
        this.listed.set(id, host.liveness);
        this.pushHost(host);
      }
    }
    if (hosts.length > 0) this.flushSummary();
  }

  /** A village's whole row, or only what changed of it since it was last sent. A page far behind skips these: it gets the whole list once it catches up. */
  private pushHost(host: HostView): void {
    const { hub } = this.deps;
    const id = host.id;
    // What renderHostRow shows apart from the cameras and the age (which the page ticks from `seen`).
    const row = JSON.stringify([host.liveness, host.status?.version, host.status?.session, host.model, host.patrol, host.activeHealth, host.seq.missing,
      host.lastSeenAt === null, host.cameras.map((c) => c.id)]);
    const seen = host.lastSeenAt?.getTime() ?? null;
    const cameras = host.cameras.map((c) => ({ camera: c, key: `${id}/${c.id}`, sent: JSON.stringify(c) }));
    if (this.sentRow.get(id) !== row) {
      this.sentRow.set(id, row);
      this.sentSeen.set(id, seen);
      for (const c of cameras) this.sentCamera.set(c.key, c.sent);
      hub.broadcastInLanguage('host', (lang) => ({ id, html: renderHostRow(host, lang).value }), true);
      return;
    }
    const changed = cameras.filter((c) => this.sentCamera.get(c.key) !== c.sent);
    const seenChanged = this.sentSeen.get(id) !== seen;
    if (changed.length === 0 && !seenChanged) return;
    this.sentSeen.set(id, seen);
    for (const c of changed) this.sentCamera.set(c.key, c.sent);
    hub.broadcastInLanguage('cams', (lang) => ({ id, seen, cams: changed.map((c) => ({ id: c.key, html: renderCameraTile(id, c.camera, lang).value })) }), true);
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
