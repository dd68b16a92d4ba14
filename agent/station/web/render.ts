/**
 * The web console's HTML, rendered on the server. The page is complete without JavaScript;
 * the small client only swaps in fragments the server pushes (these same functions).
 */
import { isUnacknowledged, type AlertEntry } from '../alerts.js';
import type { HealthEntry } from '../health.js';
import type { CameraView, HostView, StationState } from '../state.js';
import { html, type Html } from './html.js';

/** Rows the page holds; older alerts stay in the store. */
export const FEED_ROWS = 300;

export interface Viewer {
  /** Who is logged in; null on a loopback console without login. */
  user: string | null;
  csrf: string;
}

export function renderPage(state: StationState, viewer: Viewer): string {
  return document('minwang station console', html`
    <meta name="csrf-token" content="${viewer.csrf}">
    <header class="top">
      <h1>minwang <span>station console</span></h1>
      <span id="summary">${renderSummary(state)}</span>
      <span id="link" class="badge unknown">connecting…</span>
      <a class="nav" href="/history">history</a>
      ${viewer.user === null ? '' : html`<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button>${viewer.user} · log out</button></form>`}
    </header>
    <main>
      <div class="col">
        <h2>Villages</h2>
        <section id="hosts">${renderHosts(state)}</section>
        <h2>Health alerts</h2>
        <section id="health">${renderHealth(state)}</section>
      </div>
      <div class="col">
        <h2>Alerts</h2>
        <div class="filters">
          <label>village <select id="f-host"><option value="">all</option></select></label>
          <label>camera <select id="f-camera"><option value="">all</option></select></label>
          <label>label <select id="f-label"><option value="">all</option></select></label>
        </div>
        <ol id="feed">${renderFeed(state, viewer)}</ol>
      </div>
    </main>`);
}

export function renderLoginPage(message: string | null): string {
  return document('minwang console · log in', html`
    <main class="login">
      <form method="post" action="/login">
        <h1>minwang station console</h1>
        ${message === null ? '' : html`<p class="error">${message}</p>`}
        <label>user <input name="user" autocomplete="username" required autofocus></label>
        <label>password <input name="password" type="password" autocomplete="current-password" required></label>
        <button>Log in</button>
      </form>
    </main>`);
}

export function document(title: string, body: Html): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script></head>
<body>${body}</body></html>`.value}`;
}

export function renderSummary(state: StationState): Html {
  const hosts = state.hosts();
  const down = hosts.filter((h) => h.liveness !== 'online').length;
  const faulty = hosts.reduce((n, h) => n + h.cameras.filter((c) => c.state !== 'online').length, 0);
  const open = state.alerts().filter(isUnacknowledged).length;
  return html`${hosts.length} villages · ${down} not online · ${faulty} cameras faulty · ${open} unacknowledged`;
}

export function renderHosts(state: StationState): Html {
  const hosts = state.hosts();
  if (hosts.length === 0) return html`<p class="empty">No host has reported yet.</p>`;
  return html`${hosts.map(renderHost)}`;
}

function renderHost(host: HostView): Html {
  return html`<article class="host ${host.liveness}" data-host="${host.id}">
    <header><h3>${host.id}</h3><span class="badge ${host.liveness}">${host.liveness}</span>
      ${host.lastSeenAt === null ? '' : html`<span class="age" data-seen="${host.lastSeenAt.getTime()}">seen ${ageText(host.ageMs)} ago</span>`}</header>
    <p class="meta">${renderModel(host)}${host.status === null ? '' : html` · agent ${host.status.version ?? '?'} · session ${host.status.session}`}${host.seq.missing > 0 ? html` · <strong>${host.seq.missing} messages missing</strong>` : ''}</p>
    ${host.activeHealth.length === 0 ? '' : html`<ul class="host-health">${host.activeHealth.map((h) => html`<li class="${h.severity}">${h.kind}: ${h.message}</li>`)}</ul>`}
    <div class="cams">${host.cameras.map((c) => renderCamera(host.id, c))}</div>
    ${host.patrol?.sheet === true ? html`<details class="sheet"><summary>patrol contact sheet ${host.patrol.id}</summary><img src="/sheet/${host.id}/${host.patrol.id}.jpg" alt="contact sheet ${host.patrol.id}" loading="lazy"></details>` : ''}
  </article>`;
}

function renderModel(host: HostView): Html {
  const model = host.model;
  if (model === null) return html`model unknown`;
  const installed = model.installed === null ? 'no model' : `${model.installed.id} v${model.installed.version}`;
  const update = model.update;
  if (update === undefined || update.state === 'active') return html`model ${installed}`;
  const pct = update.progress === undefined ? null : Math.round(update.progress * 100);
  return html`model ${installed} · update${update.version === undefined ? '' : ` to v${update.version}`}: ${update.state}${pct === null ? '' : html` <progress max="100" value="${pct}">${pct}%</progress> ${pct}%`}${update.error === undefined ? '' : ` (${update.error})`}`;
}

function renderCamera(hostId: string, camera: CameraView): Html {
  const picture = camera.latestThumbnail === null
    ? html`<div class="nopic">no picture yet</div>`
    : html`<img src="/thumb/${camera.latestThumbnail}.jpg" alt="latest at ${camera.id}" loading="lazy">`;
  const label = camera.state === 'online' ? 'online' : `${camera.state}${camera.reason === null ? '' : ` · ${camera.reason}`}`;
  return html`<figure class="cam ${camera.state}" data-camera="${hostId}/${camera.id}">${picture}
    <figcaption><span>${camera.id}</span> <span class="badge ${camera.state}" title="${camera.detail ?? ''} since ${camera.since}">${label}</span></figcaption></figure>`;
}

export function renderHealth(state: StationState): Html {
  const active = state.activeHealth();
  const cleared = state.recentHealth().filter((h) => h.state === 'cleared').slice(0, 8);
  return html`${active.length === 0 ? html`<p class="empty">No health alert raised.</p>` : html`<ul class="health">${active.map(healthRow)}</ul>`}
    ${cleared.length === 0 ? '' : html`<details><summary>recently cleared (${cleared.length})</summary><ul class="health cleared">${cleared.map(healthRow)}</ul></details>`}`;
}

function healthRow(h: HealthEntry): Html {
  return html`<li class="${h.severity} ${h.state}"><span class="badge ${h.severity}">${h.severity}</span> <strong>${h.host}</strong> ${h.kind} · ${h.subject}: ${h.message} <time datetime="${h.ts}">${clock(h.ts)}</time>${h.delayed ? html` <span class="badge delayed">delayed</span>` : ''}</li>`;
}

export function renderFeed(state: StationState, viewer: Viewer): Html {
  const alerts = state.alerts().slice(0, FEED_ROWS);
  return html`${alerts.map((a) => renderAlert(a, state.hasImage('thumbnail', a.host, a.id), viewer))}`;
}

export function renderAlert(alert: AlertEntry, hasThumbnail: boolean, viewer: Viewer): Html {
  const classes = ['alert', !alert.alert ? 'quiet' : alert.ack === null ? 'open' : 'acked', alert.delayed ? 'delayed' : ''].join(' ').trim();
  return html`<li class="${classes}" data-key="${alert.key}" data-sort="${Date.parse(alert.sortAt)}" data-host="${alert.host}" data-camera="${alert.camera}" data-label="${alert.label}">
    ${hasThumbnail ? html`<img class="thumb" src="/thumb/${alert.key}.jpg" alt="${alert.label} at ${alert.camera}">` : html`<div class="thumb nopic">${alert.thumbnail ? 'picture coming' : 'no picture'}</div>`}
    <div class="what"><strong>${alert.label}</strong> ${alert.maxScore.toFixed(2)} · ${alert.host} / ${alert.camera}<br>
      <time datetime="${alert.startedAt}">${clock(alert.startedAt)}</time>${alert.endedAt === null ? html` <span class="badge online">ongoing</span>` : html` – ${clock(alert.endedAt)}`}
      ${alert.delayed ? html` <span class="badge delayed" title="delivered late (after an outage or out of order)">delayed</span>` : ''}
      ${alert.alert ? '' : html` <span class="badge quiet" title="recorded without an alert">${QUIET_TEXT[alert.quiet ?? 'cooldown']}</span>`}</div>
    ${!alert.alert ? '' : alert.ack === null
      ? html`<form method="post" action="/ack" class="ack"><input type="hidden" name="key" value="${alert.key}"><input type="hidden" name="csrf" value="${viewer.csrf}"><button>Acknowledge</button></form>`
      : html`<span class="acked-by" title="${alert.ack.at}">✓ ${alert.ack.by} ${clock(alert.ack.at)}</span>`}
  </li>`;
}

const QUIET_TEXT = { cooldown: 'quiet: cooldown', disarmed: 'quiet: not armed', rate: 'quiet: rate cap' } as const;

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
}

function ageText(ms: number | null): string {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}
