/**
 * The investigator's history: search stored events by village, camera, label, alert/quiet and
 * time, page through them, open one with its thumbnail, export the result as CSV. Pages are
 * rendered on the server (no script needed) from the store, not from the live feed.
 */
import type { AlertEntry } from '../alerts.js';
import { csvHeader, csvRow, queryParams, MAX_EXPORT_ROWS, MAX_PAGE, type EventPage, type EventQuery } from '../store/search.js';
import { html, type Html } from './html.js';
import { document } from './render.js';

/** Every word these pages show, in one place. */
const TEXT = {
  title: 'minwang · event history',
  heading: 'Event history',
  back: 'live console',
  village: 'village',
  camera: 'camera',
  label: 'label',
  kind: 'kind',
  any: 'any',
  alert: 'alert',
  quiet: 'quiet',
  from: 'from (UTC)',
  to: 'to (UTC)',
  search: 'Search',
  export: 'Export CSV',
  exportNote: `at most ${MAX_EXPORT_ROWS} rows per export`,
  next: 'next page',
  none: 'No stored event matches.',
  started: 'started',
  ended: 'ended',
  ongoing: 'ongoing',
  score: 'best score',
  acked: 'acknowledged by',
  open: 'not acknowledged',
  quietBecause: 'quiet',
  delayed: 'delivered late',
  noPicture: 'no picture stored',
  event: 'Event',
  stored: 'engine',
} as const;

export function renderHistory(query: EventQuery, page: EventPage, engine: string): string {
  const params = queryParams(query);
  const next = page.next === null ? null : new URLSearchParams([...params, ['after', page.next], ['limit', String(query.limit)]]);
  return document(TEXT.title, html`
    <header class="top"><h1>minwang <span>${TEXT.heading}</span></h1><a class="nav" href="/">${TEXT.back}</a><span class="meta">${TEXT.stored}: ${engine}</span></header>
    <main class="history">
      <form method="get" action="/history" class="filters search">
        <label>${TEXT.village} <input name="host" value="${query.host ?? ''}" pattern="[a-z0-9\\-]{1,64}"></label>
        <label>${TEXT.camera} <input name="camera" value="${query.camera ?? ''}" pattern="[a-z0-9\\-]{1,32}"></label>
        <label>${TEXT.label} <input name="label" value="${query.label ?? ''}" maxlength="32"></label>
        <label>${TEXT.kind} <select name="kind">${[['', TEXT.any], ['alert', TEXT.alert], ['quiet', TEXT.quiet]].map(([value, text]) =>
          html`<option value="${value}"${selected(value === (query.alert === undefined ? '' : query.alert ? 'alert' : 'quiet'))}>${text}</option>`)}</select></label>
        <label>${TEXT.from} <input name="from" type="datetime-local" value="${local(query.from)}"></label>
        <label>${TEXT.to} <input name="to" type="datetime-local" value="${local(query.to)}"></label>
        <input type="hidden" name="limit" value="${query.limit}">
        <button>${TEXT.search}</button>
        <a href="/history.csv?${params.toString()}" download>${TEXT.export}</a> <span class="meta">${TEXT.exportNote}</span>
      </form>
      ${page.events.length === 0 ? html`<p class="empty">${TEXT.none}</p>` : html`<table class="events">
        <thead><tr><th></th><th>${TEXT.started}</th><th>${TEXT.village}</th><th>${TEXT.camera}</th><th>${TEXT.label}</th><th>${TEXT.score}</th><th>${TEXT.kind}</th><th>${TEXT.acked}</th></tr></thead>
        <tbody>${page.events.map(row)}</tbody></table>`}
      ${next === null ? '' : html`<p><a rel="next" href="/history?${next.toString()}">${TEXT.next} →</a></p>`}
    </main>`);
}

function row(e: AlertEntry & { hasThumbnail: boolean }): Html {
  const link = `/event/${e.host}/${e.id}`;
  return html`<tr class="${e.alert ? 'alerting' : 'quiet'}" data-key="${e.key}">
    <td>${e.hasThumbnail ? html`<a href="${link}"><img class="thumb" src="/thumb/${e.key}.jpg" alt="${e.label} at ${e.camera}" loading="lazy"></a>` : ''}</td>
    <td><a href="${link}"><time datetime="${e.startedAt}">${e.startedAt}</time></a></td><td>${e.host}</td><td>${e.camera}</td><td>${e.label}</td>
    <td>${e.maxScore.toFixed(2)}</td><td>${e.alert ? TEXT.alert : `${TEXT.quietBecause}: ${e.quiet ?? ''}`}${e.delayed ? html` <span class="badge delayed">${TEXT.delayed}</span>` : ''}</td>
    <td>${e.ack === null ? (e.alert ? TEXT.open : '') : `${e.ack.by} ${e.ack.at}`}</td></tr>`;
}

export function renderEvent(e: AlertEntry, hasThumbnail: boolean): string {
  return document(`${TEXT.event} ${e.key}`, html`
    <header class="top"><h1>minwang <span>${TEXT.event} ${e.id}</span></h1><a class="nav" href="/history?host=${e.host}">${TEXT.heading}</a><a class="nav" href="/">${TEXT.back}</a></header>
    <main class="history event">
      ${hasThumbnail ? html`<img class="picture" src="/thumb/${e.key}.jpg" alt="${e.label} at ${e.camera}">` : html`<p class="empty">${TEXT.noPicture}</p>`}
      <dl>
        <dt>${TEXT.village}</dt><dd>${e.host}</dd><dt>${TEXT.camera}</dt><dd>${e.camera}</dd><dt>${TEXT.label}</dt><dd>${e.label}</dd>
        <dt>${TEXT.score}</dt><dd>${e.maxScore.toFixed(2)}</dd><dt>${TEXT.started}</dt><dd>${e.startedAt}</dd>
        <dt>${TEXT.ended}</dt><dd>${e.endedAt ?? TEXT.ongoing}</dd>
        <dt>${TEXT.kind}</dt><dd>${e.alert ? TEXT.alert : `${TEXT.quietBecause}: ${e.quiet ?? ''}`}${e.delayed ? ` · ${TEXT.delayed}` : ''}</dd>
        <dt>${TEXT.acked}</dt><dd>${e.ack === null ? (e.alert ? TEXT.open : '–') : `${e.ack.by} ${e.ack.at}`}</dd>
      </dl>
    </main>`);
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

function selected(yes: boolean): Html {
  return html`${yes ? html` selected` : ''}`;
}

/** A datetime-local value (UTC, minutes). */
function local(at: Date | undefined): string {
  return at === undefined ? '' : at.toISOString().slice(0, 16);
}
