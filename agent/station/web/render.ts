/**
 * The web console's HTML, rendered on the server. The page is complete without JavaScript;
 * the small client only swaps in fragments the server pushes (these same functions).
 */
import { isUnacknowledged, type AlertEntry } from '../alerts.js';
import type { HealthEntry } from '../health.js';
import { LANGS, type Lang } from '../../core/i18n/lang.js';
import type { CameraView, HostView, StationState } from '../state.js';
import { html, type Html } from './html.js';
import { WEB_CATALOGUES, clientTexts, valueText, webText, type WebText } from './i18n/index.js';

/** Rows the page holds; older alerts stay in the store. */
export const FEED_ROWS = 300;

export interface Viewer {
  /** Who is logged in; null on a loopback console without login. */
  user: string | null;
  csrf: string;
  /** The language the page is written in. */
  lang: Lang;
}

/** Who acknowledges on a loopback console without login (stored as is; shown in the viewer's language). */
export const LOCAL_OPERATOR = 'local operator';

export type LoginProblem = 'login.wrong' | 'login.blocked' | 'login.busy';

export function renderPage(state: StationState, viewer: Viewer): string {
  const t = webText(viewer.lang);
  return document(t, t('page.title'), html`
    <meta name="csrf-token" content="${viewer.csrf}">
    <meta name="console-text" content="${JSON.stringify(clientTexts(viewer.lang))}">
    <header class="top">
      <h1>${t('page.brand')} <span>${t('page.subtitle')}</span></h1>
      <span id="summary">${renderSummary(state, viewer.lang)}</span>
      <span id="link" class="badge unknown">${t('link.connecting')}</span>
      <a class="nav" href="/history">${t('page.history')}</a>
      ${languageChoice(t)}
      ${viewer.user === null ? '' : html`<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button>${t('page.logout', { user: viewer.user })}</button></form>`}
    </header>
    <main>
      <div class="col">
        <section id="look" class="look-view" hidden><header><strong id="look-title"></strong> <button type="button" id="look-close">${t('look.close')}</button></header>
          <img id="look-img" alt=""><p id="look-status" role="status"></p></section>
        <h2>${t('page.villages')}</h2>
        <section id="hosts">${renderHosts(state, viewer.lang)}</section>
        <h2>${t('page.healthAlerts')}</h2>
        <section id="health">${renderHealth(state, viewer.lang)}</section>
      </div>
      <div class="col">
        <h2>${t('page.alerts')}</h2>
        <div class="filters">
          <label>${t('filter.village')} <select id="f-host"><option value="">${t('filter.all')}</option></select></label>
          <label>${t('filter.camera')} <select id="f-camera"><option value="">${t('filter.all')}</option></select></label>
          <label>${t('filter.label')} <select id="f-label"><option value="">${t('filter.all')}</option></select></label>
        </div>
        <ol id="feed">${renderFeed(state, viewer)}</ol>
        ${renderFeedMore(t, feedRows(state.alerts()).openNotShown)}
      </div>
    </main>`);
}

export function renderLoginPage(lang: Lang, problem: LoginProblem | null): string {
  const t = webText(lang);
  return document(t, t('login.title'), html`
    <main class="login">
      <form method="post" action="/login">
        <h1>${t('login.heading')}</h1>
        ${problem === null ? '' : html`<p class="error">${t(problem)}</p>`}
        <label>${t('login.user')} <input name="user" autocomplete="username" required autofocus></label>
        <label>${t('login.password')} <input name="password" type="password" autocomplete="current-password" required></label>
        <button>${t('login.submit')}</button>
      </form>
      ${languageChoice(t)}
    </main>`);
}

export function document(t: WebText, title: string, body: Html): string {
  return `<!doctype html>${html`<html lang="${t.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script></head>
<body>${body}</body></html>`.value}`;
}

/** Links to the page in each other language, each named in its own language. */
function languageChoice(t: WebText): Html {
  const others = LANGS.filter((lang) => lang !== t.lang);
  return html`<nav class="lang" aria-label="${t('lang.choose')}">${others.map((lang) => html`<a href="?lang=${lang}" hreflang="${lang}" lang="${lang}">${WEB_CATALOGUES[lang]['lang.name']}</a>`)}</nav>`;
}

export function renderSummary(state: StationState, lang: Lang): Html {
  return html`${webText(lang)('summary', state.counts())}`;
}

export function renderHosts(state: StationState, lang: Lang): Html {
  const t = webText(lang);
  const hosts = state.hosts();
  if (hosts.length === 0) return html`<p class="empty">${t('hosts.empty')}</p>`;
  return html`${hosts.map((host) => renderHost(t, host))}`;
}

/** One village's row, pushed alone when only it changed. */
export function renderHostRow(host: HostView, lang: Lang): Html {
  return renderHost(webText(lang), host);
}

function renderHost(t: WebText, host: HostView): Html {
  return html`<article class="host ${host.liveness}" data-host="${host.id}">
    <header><h3>${host.id}</h3><span class="badge ${host.liveness}">${t(`liveness.${host.liveness}`)}</span>
      ${host.lastSeenAt === null ? '' : html`<span class="age" data-seen="${host.lastSeenAt.getTime()}">${t('host.seen', { age: ageText(t, host.ageMs) })}</span>`}</header>
    <p class="meta">${renderModel(t, host)}${host.status === null ? '' : html` · ${t('host.agent', { version: host.status.version ?? '?', session: host.status.session })}`}${host.seq.missing > 0 ? html` · <strong>${t('host.missing', { n: host.seq.missing })}</strong>` : ''}</p>
    ${host.activeHealth.length === 0 ? '' : html`<ul class="host-health">${host.activeHealth.map((h) => html`<li class="${h.severity}">${t('health.hostLine', { kind: valueText(t, 'healthKind', h.kind), message: h.message })}</li>`)}</ul>`}
    <div class="cams">${host.cameras.map((c) => renderCamera(t, host.id, c))}</div>
    ${host.patrol?.sheet === true ? html`<details class="sheet"><summary>${t('host.sheet', { id: host.patrol.id })}</summary><img src="/sheet/${host.id}/${host.patrol.id}.jpg" alt="${t('host.sheetAlt', { id: host.patrol.id })}" loading="lazy"></details>` : ''}
  </article>`;
}

function renderModel(t: WebText, host: HostView): Html {
  const model = host.model;
  if (model === null) return html`${t('model.unknown')}`;
  const installed = model.installed === null ? t('model.none') : `${model.installed.id} v${model.installed.version}`;
  const update = model.update;
  if (update === undefined || update.state === 'active') return html`${t('model.installed', { model: installed })}`;
  const pct = update.progress === undefined ? null : Math.round(update.progress * 100);
  const state = t(`update.${update.state}`);
  const line = update.version === undefined ? t('model.update', { model: installed, state }) : t('model.updateTo', { model: installed, version: update.version, state });
  return html`${line}${pct === null ? '' : html` <progress max="100" value="${pct}">${pct}%</progress> ${pct}%`}${update.error === undefined ? '' : ` (${update.error})`}`;
}

/** One camera's tile, pushed alone when only it changed. */
export function renderCameraTile(hostId: string, camera: CameraView, lang: Lang): Html {
  return renderCamera(webText(lang), hostId, camera);
}

function renderCamera(t: WebText, hostId: string, camera: CameraView): Html {
  const picture = camera.latestThumbnail === null
    ? html`<div class="nopic">${t('camera.noPicture')}</div>`
    : html`<img src="/thumb/${camera.latestThumbnail}.jpg" alt="${t('camera.latestAlt', { camera: camera.id })}" loading="lazy">`;
  const state = t(`cameraState.${camera.state}`);
  const label = camera.state === 'online' || camera.reason === null ? state : `${state} · ${valueText(t, 'fault', camera.reason)}`;
  const since = t('camera.since', { since: camera.since });
  return html`<figure class="cam ${camera.state}" data-camera="${hostId}/${camera.id}">${picture}
    <figcaption><span>${camera.id}</span> <span class="badge ${camera.state}" title="${camera.detail === null ? since : `${camera.detail} · ${since}`}">${label}</span>
      <button type="button" class="look" data-look="${hostId}/${camera.id}">${t('look.button')}</button></figcaption></figure>`;
}

export function renderHealth(state: StationState, lang: Lang): Html {
  const t = webText(lang);
  const active = state.activeHealth();
  const cleared = state.recentHealth().filter((h) => h.state === 'cleared').slice(0, 8);
  return html`${active.length === 0 ? html`<p class="empty">${t('health.empty')}</p>` : html`<ul class="health">${active.map((h) => healthRow(t, h))}</ul>`}
    ${cleared.length === 0 ? '' : html`<details><summary>${t('health.recentlyCleared', { n: cleared.length })}</summary><ul class="health cleared">${cleared.map((h) => healthRow(t, h))}</ul></details>`}`;
}

function healthRow(t: WebText, h: HealthEntry): Html {
  return html`<li class="${h.severity} ${h.state}"><span class="badge ${h.severity}">${t(`severity.${h.severity}`)}</span> <strong>${h.host}</strong> ${t('health.line', { kind: valueText(t, 'healthKind', h.kind), subject: h.subject, message: h.message })} <time datetime="${h.ts}">${clock(h.ts)}</time>${h.delayed ? html` <span class="badge delayed">${t('badge.delayed')}</span>` : ''}</li>`;
}

/**
 * The rows the page lists: the newest FEED_ROWS, unacknowledged alerts first (an open alert is never
 * dropped for a quiet or acknowledged one), and how many open ones still do not fit.
 */
export function feedRows(alerts: readonly AlertEntry[], n = FEED_ROWS): { rows: AlertEntry[]; openNotShown: number } {
  if (alerts.length <= n) return { rows: [...alerts], openNotShown: 0 };
  const open = alerts.filter(isUnacknowledged);
  const keep = new Set(open.slice(0, n));
  for (const a of alerts) {
    if (keep.size >= n) break;
    keep.add(a);
  }
  return { rows: alerts.filter((a) => keep.has(a)), openNotShown: Math.max(0, open.length - n) };
}

export function renderFeed(state: StationState, viewer: Viewer): Html {
  return html`${feedRows(state.alerts()).rows.map((a) => renderAlert(a, state.hasImage('thumbnail', a.host, a.id), viewer))}`;
}

/** The pushed 'feed' fragment: the rows, and how many open alerts did not fit. */
export function feedFragment(state: StationState, viewer: Viewer): { html: string; more: number } {
  const { rows, openNotShown } = feedRows(state.alerts());
  return { html: html`${rows.map((a) => renderAlert(a, state.hasImage('thumbnail', a.host, a.id), viewer))}`.value, more: openNotShown };
}

/** Open alerts the list has no room for are counted under it, with the way to them: none vanishes unsaid. */
function renderFeedMore(t: WebText, n: number): Html {
  return html`<p id="feed-more" class="more" data-n="${n}"${n === 0 ? html` hidden` : ''}><a href="/history?kind=alert">${t('feed.more', { n })}</a></p>`;
}

export function renderAlert(alert: AlertEntry, hasThumbnail: boolean, viewer: Viewer): Html {
  const t = webText(viewer.lang);
  const classes = ['alert', !alert.alert ? 'quiet' : alert.ack === null ? 'open' : 'acked', alert.delayed ? 'delayed' : ''].join(' ').trim();
  const label = valueText(t, 'label', alert.label);
  return html`<li class="${classes}" data-key="${alert.key}" data-sort="${Date.parse(alert.sortAt)}" data-host="${alert.host}" data-camera="${alert.camera}" data-label="${alert.label}">
    ${hasThumbnail ? html`<img class="thumb" src="/thumb/${alert.key}.jpg" alt="${t('alert.thumbAlt', { label, camera: alert.camera })}">` : html`<div class="thumb nopic">${alert.thumbnail ? t('alert.pictureComing') : t('alert.noPicture')}</div>`}
    <div class="what"><strong>${label}</strong> ${alert.maxScore.toFixed(2)} · ${alert.host} / ${alert.camera} · <a class="details" href="/event/${alert.host}/${alert.id}">${t('alert.details')}</a><br>
      <time datetime="${alert.startedAt}">${clock(alert.startedAt)}</time>${alert.endedAt === null ? html` <span class="badge online">${t('alert.ongoing')}</span>` : html` – ${clock(alert.endedAt)}`}
      ${alert.delayed ? html` <span class="badge delayed" title="${t('alert.delayedTitle')}">${t('badge.delayed')}</span>` : ''}
      ${alert.alert ? '' : html` <span class="badge quiet" title="${t('alert.quietTitle')}">${t(`quiet.${alert.quiet ?? 'cooldown'}`)}</span>`}</div>
    ${!alert.alert ? '' : alert.ack === null
      ? html`<form method="post" action="/ack" class="ack"><input type="hidden" name="key" value="${alert.key}"><input type="hidden" name="csrf" value="${viewer.csrf}"><button>${t('alert.acknowledge')}</button></form>`
      : html`<span class="acked-by" title="${alert.ack.at}">✓ ${alert.ack.by === LOCAL_OPERATOR ? t('alert.localOperator') : alert.ack.by} ${clock(alert.ack.at)}</span>`}
  </li>`;
}

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
}

function ageText(t: WebText, ms: number | null): string {
  if (ms === null) return t('age.unknown');
  const s = Math.round(ms / 1000);
  return s < 120 ? t('age.seconds', { n: s }) : s < 7200 ? t('age.minutes', { n: Math.round(s / 60) }) : t('age.hours', { n: Math.round(s / 3600) });
}
