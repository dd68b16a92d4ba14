/**
 * The investigator's history: search stored events by village, camera, label, alert/quiet and
 * time, page through them, open one with its thumbnail, export the result as CSV. Pages are
 * rendered on the server (no script needed) from the store, not from the live feed.
 */
import type { AlertEntry } from '../alerts.js';
import { csvHeader, csvRow, queryParams, MAX_EXPORT_ROWS, MAX_PAGE, type EventPage, type EventQuery } from '../store/search.js';
import { html, type Html } from './html.js';
import type { Lang } from '../../core/i18n/lang.js';
import { clientTexts, valueText, webText, type WebText } from './i18n/index.js';
import { LOCAL_OPERATOR, document, type Viewer } from './render.js';
import type { ClipProgress } from './clips.js';

export function renderHistory(query: EventQuery, page: EventPage, engine: string, lang: Lang): string {
  const t = webText(lang);
  const params = queryParams(query);
  const next = page.next === null ? null : new URLSearchParams([...params, ['after', page.next], ['limit', String(query.limit)]]);
  return document(t, t('history.title'), html`
    <header class="top"><h1>${t('page.brand')} <span>${t('history.heading')}</span></h1><a class="nav" href="/">${t('history.back')}</a><span class="meta">${t('history.engine', { engine })}</span></header>
    <main class="history">
      <form method="get" action="/history" class="filters search">
        <label>${t('history.village')} <input name="host" value="${query.host ?? ''}" pattern="[a-z0-9\\-]{1,64}"></label>
        <label>${t('history.camera')} <input name="camera" value="${query.camera ?? ''}" pattern="[a-z0-9\\-]{1,32}"></label>
        <label>${t('history.label')} <input name="label" value="${query.label ?? ''}" maxlength="32"></label>
        <label>${t('history.kind')} <select name="kind">${[['', t('history.any')], ['alert', t('history.alert')], ['quiet', t('history.quiet')]].map(([value, text]) =>
          html`<option value="${value}"${selected(value === (query.alert === undefined ? '' : query.alert ? 'alert' : 'quiet'))}>${text}</option>`)}</select></label>
        <label>${t('history.from')} <input name="from" type="datetime-local" value="${local(query.from)}"></label>
        <label>${t('history.to')} <input name="to" type="datetime-local" value="${local(query.to)}"></label>
        <input type="hidden" name="limit" value="${query.limit}">
        <button>${t('history.search')}</button>
        <a href="/history.csv?${params.toString()}" download>${t('history.export')}</a> <span class="meta">${t('history.exportNote', { rows: String(MAX_EXPORT_ROWS) })}</span>
      </form>
      ${page.events.length === 0 ? html`<p class="empty">${t('history.none')}</p>` : html`<table class="events">
        <thead><tr><th></th><th>${t('history.started')}</th><th>${t('history.village')}</th><th>${t('history.camera')}</th><th>${t('history.label')}</th><th>${t('history.score')}</th><th>${t('history.kind')}</th><th>${t('history.acked')}</th></tr></thead>
        <tbody>${page.events.map((e) => row(t, e))}</tbody></table>`}
      ${next === null ? '' : html`<p><a rel="next" href="/history?${next.toString()}">${t('history.next')} →</a></p>`}
    </main>`);
}

function row(t: WebText, e: AlertEntry & { hasThumbnail: boolean }): Html {
  const link = `/event/${e.host}/${e.id}`;
  return html`<tr class="${e.alert ? 'alerting' : 'quiet'}" data-key="${e.key}">
    <td>${e.hasThumbnail ? html`<a href="${link}"><img class="thumb" src="/thumb/${e.key}.jpg" alt="${t('history.pictureAlt', { label: valueText(t, 'label', e.label), camera: e.camera })}" loading="lazy"></a>` : ''}</td>
    <td><a href="${link}"><time datetime="${e.startedAt}">${e.startedAt}</time></a></td><td>${e.host}</td><td>${e.camera}</td><td>${valueText(t, 'label', e.label)}</td>
    <td>${e.maxScore.toFixed(2)}</td><td>${kindText(t, e)}${e.delayed ? html` <span class="badge delayed">${t('history.delayed')}</span>` : ''}</td>
    <td>${e.ack === null ? (e.alert ? t('history.open') : '') : `${ackBy(t, e.ack.by)} ${e.ack.at}`}</td></tr>`;
}

/** What the event page shows besides the event: which pictures are stored, and where its clip is. */
export interface EventView {
  hasThumbnail: boolean;
  /** null: this console does not fetch clips (or the event has none). */
  clip: ClipProgress | null;
  /** The whole picture's box and size, when one is stored (alerting events). */
  frame?: { box: [number, number, number, number]; width: number; height: number } | null;
}

export function renderEvent(e: AlertEntry, view: EventView, viewer: Viewer): string {
  const t = webText(viewer.lang);
  return document(t, t('history.event', { id: e.key }), html`
    <meta name="csrf-token" content="${viewer.csrf}">
    <meta name="console-text" content="${JSON.stringify(clientTexts(viewer.lang))}">
    <header class="top"><h1>${t('page.brand')} <span>${t('history.event', { id: e.id })}</span></h1><a class="nav" href="/history?host=${e.host}">${t('history.heading')}</a><a class="nav" href="/">${t('history.back')}</a></header>
    <main class="history event">
      ${view.hasThumbnail ? html`<img class="picture" src="/thumb/${e.key}.jpg" alt="${t('history.pictureAlt', { label: valueText(t, 'label', e.label), camera: e.camera })}">` : html`<p class="empty">${t('history.noPicture')}</p>`}
      <dl>
        <dt>${t('history.village')}</dt><dd>${e.host}</dd><dt>${t('history.camera')}</dt><dd>${e.camera}</dd><dt>${t('history.label')}</dt><dd>${valueText(t, 'label', e.label)}</dd>
        <dt>${t('history.score')}</dt><dd>${e.maxScore.toFixed(2)}</dd><dt>${t('history.started')}</dt><dd>${e.startedAt}</dd>
        <dt>${t('history.ended')}</dt><dd>${e.endedAt ?? t('history.ongoing')}</dd>
        <dt>${t('history.kind')}</dt><dd>${kindText(t, e)}${e.delayed ? ` · ${t('history.delayed')}` : ''}</dd>
        <dt>${t('history.acked')}</dt><dd>${e.ack === null ? (e.alert ? t('history.open') : '–') : `${ackBy(t, e.ack.by)} ${e.ack.at}`}</dd>
      </dl>
      ${view.frame === undefined || view.frame === null ? '' : frameSection(t, e, view.frame)}
      ${clipSection(t, e, view.clip, viewer.csrf)}
    </main>`);
}

/** The whole picture with the object's box drawn over it (an SVG in the frame's own 0..1 units: no inline style, which the CSP forbids). */
function frameSection(t: WebText, e: AlertEntry, frame: NonNullable<EventView['frame']>): Html {
  const [x1, y1, x2, y2] = frame.box;
  return html`<section class="whole"><h2>${t('frame.heading')}</h2><figure class="frame">
    <img class="frame" src="/frame/${e.key}.jpg" width="${frame.width}" height="${frame.height}" alt="${t('frame.alt', { camera: e.camera, label: valueText(t, 'label', e.label) })}">
    <svg class="box" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true"><rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${Math.max(0, y2 - y1)}"></rect></svg></figure></section>`;
}

/**
 * The clip: played when this console has it; otherwise a button (a form, so it works without the
 * script) that asks the host for it, and the progress the script polls.
 */
function clipSection(t: WebText, e: AlertEntry, progress: ClipProgress | null, csrf: string): Html {
  const heading = html`<h2>${t('clip.heading')}</h2>`;
  if (e.clip === undefined) return html`<section class="clip">${heading}<p class="empty">${e.endedAt === null ? t('clip.notYet') : t('clip.none')}</p></section>`;
  const about = html`<p class="meta">${t('clip.about', { seconds: e.clip.durationS.toFixed(1), size: (e.clip.bytes / 1e6).toFixed(1) })}</p>`;
  if (progress === null) return html`<section class="clip">${heading}${about}<p class="empty">${t('clip.notHere')}</p></section>`;
  const base = `/clip/${e.host}/${e.id}`;
  if (progress.state === 'ready') {
    return html`<section class="clip">${heading}${about}<video id="clip-video" controls preload="metadata" src="${base}.mp4"></video>
      <p><a href="${base}.mp4" download="${e.id}.mp4">${t('clip.download')}</a></p></section>`;
  }
  const percent = progress.total === 0 ? 0 : Math.floor((progress.bytes / progress.total) * 100);
  const status = progress.state === 'fetching' ? t('clip.fetching', { percent }) : progress.state === 'failed' ? t('clip.failed', { error: progress.error ?? '' }) : '';
  return html`<section class="clip" id="clip" data-clip="${base}" data-state="${progress.state}">${heading}${about}
    <form method="post" action="${base}" class="clip-fetch"><input type="hidden" name="csrf" value="${csrf}"><button${progress.state === 'fetching' ? html` disabled` : ''}>${t('clip.fetch')}</button></form>
    <progress max="100" value="${percent}"${progress.state === 'fetching' ? '' : html` hidden`}>${percent}%</progress> <span class="clip-status" role="status">${status}</span></section>`;
}

/** The whole export, page by page (at most MAX_EXPORT_ROWS rows). */
export async function exportCsv(query: EventQuery, search: (q: EventQuery) => Promise<EventPage>, write: (chunk: string) => void): Promise<number> {
  write(csvHeader());
  let rows = 0;
  let page: EventQuery = { ...query, limit: MAX_PAGE };
  for (;;) {
    const result = await search({ ...page, limit: Math.min(MAX_PAGE, MAX_EXPORT_ROWS - rows) });
    for (const e of result.events) write(csvRow(e));
    rows += result.events.length;
    if (result.next === null || rows >= MAX_EXPORT_ROWS) return rows;
    const last = result.events.at(-1)!;
    page = { ...page, after: { sortAt: new Date(last.sortAt).toISOString(), key: last.key } };
  }
}

function ackBy(t: WebText, by: string): string {
  return by === LOCAL_OPERATOR ? t('alert.localOperator') : by;
}

function kindText(t: WebText, e: AlertEntry): string {
  return e.alert ? t('history.alert') : e.quiet === null ? t('history.quiet') : valueText(t, 'quiet', e.quiet);
}

function selected(yes: boolean): Html {
  return html`${yes ? html` selected` : ''}`;
}

/** A datetime-local value (UTC, minutes). */
function local(at: Date | undefined): string {
  return at === undefined ? '' : at.toISOString().slice(0, 16);
}
