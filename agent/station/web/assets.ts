/**
 * The page's stylesheet and its small client, served as /static/console.css and
 * /static/console.js (same origin, so the CSP can forbid inline script and style).
 * The client listens to /events (Server-Sent Events) and swaps in the fragments the server
 * renders; it never builds HTML from data itself. Its own few words come from the page
 * (`<meta name="console-text">`, from the catalogues in ./i18n/), in the page's language.
 */
export const CONSOLE_CSS = `
:root{--bg:#f3f4f6;--card:#fff;--ink:#1d2329;--muted:#5c6670;--ok:#1b7f3b;--warn:#b26a00;--bad:#b3261e;--line:#d9dde2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;background:var(--bg);color:var(--ink)}
header.top{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;padding:.5rem 1rem;background:#1d2329;color:#fff}
header.top h1{font-size:1.05rem;margin:0}header.top h1 span{font-weight:400;color:#b8c0c8}
#summary{color:#dfe3e7}header.top nav.lang{margin-left:auto}.logout button{background:none;color:#fff;border:1px solid #55606b}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;padding:.75rem 1rem}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr);padding:.5rem}main>.col:last-child{order:-1}}
h2{font-size:.95rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:.5rem 0}
.host{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:6px;padding:.5rem .75rem;margin-bottom:.75rem}
.host.online{border-left-color:var(--ok)}.host.stale{border-left-color:var(--warn)}.host.offline,.host.stopped{border-left-color:var(--bad)}
.host header{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}.host h3{margin:0;font-size:1rem}
.age,.meta{color:var(--muted);font-size:.85rem}.meta{margin:.2rem 0 .4rem}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.78rem;font-weight:600;background:#e5e7eb;color:var(--ink);white-space:nowrap}
.badge.online{background:#dcf3e3;color:var(--ok)}.badge.stale,.badge.degraded,.badge.warning,.badge.delayed{background:#fdf0d9;color:var(--warn)}
.badge.offline,.badge.stopped,.badge.critical{background:#fbe1df;color:var(--bad)}
#link.badge.online{background:#2e6b43;color:#fff}#link.badge.offline{background:var(--bad);color:#fff}
.cams{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.5rem}
.cam .badge{white-space:normal}
.cam{margin:0;border:1px solid var(--line);border-radius:4px;overflow:hidden;background:#fafbfc}
.cam img,.cam .nopic{display:block;width:100%;aspect-ratio:4/3;object-fit:cover;background:#e9ecef}
.cam .nopic,.thumb.nopic{display:flex;align-items:center;justify-content:center;color:var(--muted);font-size:.8rem}
.cam figcaption{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.2rem .3rem;padding:.2rem .35rem;font-size:.82rem}
.host.offline .cams,.host.stopped .cams,.host.stale .cams{opacity:.6}
.cam.offline{outline:2px solid var(--bad)}.cam.degraded{outline:2px solid var(--warn)}
.sheet img{max-width:100%;margin-top:.4rem}
.host-health,.health{list-style:none;padding:0;margin:.3rem 0}.health li,.host-health li{padding:.25rem 0;border-bottom:1px solid var(--line)}
.host-health li.critical{color:var(--bad)}.health.cleared li{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin-bottom:.5rem}.filters select{font:inherit;padding:.15rem}
#feed{list-style:none;padding:0;margin:0}
.alert{display:grid;grid-template-columns:96px minmax(0,1fr) auto;gap:.6rem;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.4rem;margin-bottom:.4rem}
.alert.open{border-left:5px solid var(--bad)}.alert.acked{opacity:.7}.alert.quiet{opacity:.6;border-left:5px solid var(--line)}
.alert .thumb{width:96px;height:72px;object-fit:cover;border-radius:3px;background:#e9ecef}
.alert time{color:var(--muted)}
.alert[hidden]{display:none}
.host{content-visibility:auto;contain-intrinsic-size:auto 420px}.alert{content-visibility:auto;contain-intrinsic-size:auto 86px}
#feed-more{margin:.4rem 0;color:var(--bad)}
@media (max-width:480px){.alert{grid-template-columns:72px minmax(0,1fr)}.alert .thumb{width:72px;height:54px}.alert .ack,.acked-by{grid-column:1/-1}}
button{font:inherit;padding:.3rem .7rem;border-radius:4px;border:1px solid #8a949e;background:#fff;cursor:pointer}
.ack button{background:#1d4ed8;color:#fff;border-color:#1d4ed8}
.acked-by{color:var(--ok);font-size:.85rem}
.empty{color:var(--muted)}
main.login{display:flex;justify-content:center;padding-top:10vh}
.login form{display:flex;flex-direction:column;gap:.7rem;background:var(--card);padding:1.5rem;border-radius:8px;border:1px solid var(--line);min-width:min(320px,90vw)}
.login input{display:block;width:100%;font:inherit;padding:.4rem;margin-top:.2rem}.login .error{color:var(--bad)}
nav.lang a{color:#dfe3e7;font-size:.85rem}main.login{flex-direction:column;align-items:center;gap:.6rem}main.login nav.lang a{color:var(--muted)}
header.top a.nav{color:#fff}header.top .meta{color:#b8c0c8}
main.history{display:block}.search{align-items:end}.search input,.search select{font:inherit;padding:.15rem}
table.events{width:100%;border-collapse:collapse;background:var(--card)}table.events th,table.events td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid var(--line)}
table.events .thumb{width:96px;height:72px;object-fit:cover}table.events tr.quiet{color:var(--muted)}
.event .picture{max-width:min(100%,640px);display:block;margin-bottom:.75rem}.event dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}.event dt{color:var(--muted)}
.event .clip video{display:block;width:min(100%,960px);background:#000;margin:.4rem 0}.event .clip progress{width:min(100%,320px)}
.event h2{margin-top:1rem}
.event figure.frame{position:relative;display:inline-block;margin:0;max-width:min(100%,1280px)}.event figure.frame img{display:block;max-width:100%;height:auto}
.event svg.box{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}.event svg.box rect{fill:none;stroke:#ff2d2d;stroke-width:3px;vector-effect:non-scaling-stroke}
.cam button.look{font-size:.78rem;padding:.05rem .4rem}.look-view{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem;margin-bottom:.75rem}
.look-view header{display:flex;justify-content:space-between;align-items:center;gap:.5rem;margin-bottom:.4rem}.look-view img{display:block;max-width:100%;min-height:2rem;background:#e9ecef}.alert a.details{font-size:.85rem}
`;

export const CONSOLE_JS = `
'use strict';
(function () {
  var feed = document.getElementById('feed');
  if (!feed) return;
  var MAX_ROWS = 300;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var texts = JSON.parse(document.querySelector('meta[name="console-text"]').content);
  function text(key, params) {
    return texts[key].replace(/\\{(\\w+)\\}/g, function (whole, name) { return params && name in params ? String(params[name]) : whole; });
  }
  var filters = ['host', 'camera', 'label'].map(function (k) { return { key: k, el: document.getElementById('f-' + k) }; });
  var link = document.getElementById('link');

  function fragment(html) {
    var t = document.createElement('template');
    t.innerHTML = html;
    return t.content;
  }
  function replace(id, html) { document.getElementById(id).replaceChildren(fragment(html)); }

  // Open (unacknowledged) rows are kept before quiet and acknowledged ones; an open row that still
  // does not fit is counted under the list (#feed-more), never dropped unsaid.
  var more = document.getElementById('feed-more');
  var moreFromServer = more ? Number(more.dataset.n) || 0 : 0;
  var dropped = {};
  function showMore() {
    if (!more) return;
    var n = moreFromServer + Object.keys(dropped).length;
    more.hidden = n === 0;
    more.firstElementChild.textContent = text('feed.more', { n: n });
  }
  function upsert(data) {
    var row = fragment(data.html).firstElementChild;
    var old = feed.querySelector('li[data-key="' + CSS.escape(data.key) + '"]');
    if (old) old.remove();
    delete dropped[data.key];
    var sort = Number(row.dataset.sort);
    var next = Array.prototype.find.call(feed.children, function (li) { return Number(li.dataset.sort) < sort; });
    row.hidden = filtered(row);
    feed.insertBefore(row, next || null);
    while (feed.children.length > MAX_ROWS) {
      var victim = null;
      for (var i = feed.children.length - 1; i >= 0 && victim === null; i--) if (!feed.children[i].classList.contains('open')) victim = feed.children[i];
      if (victim === null) { victim = feed.lastElementChild; dropped[victim.dataset.key] = true; }
      victim.remove();
    }
    showMore();
  }

  // The filter choices list what the rows hold: rebuilt at most once a second, not per pushed row.
  var filtersDue = null;
  function refreshFiltersSoon() {
    if (filtersDue === null) filtersDue = setTimeout(function () { filtersDue = null; refreshFilters(); }, 1000);
  }

  function refreshFilters() {
    filters.forEach(function (f) {
      var values = {};
      Array.prototype.forEach.call(feed.children, function (li) { values[li.dataset[f.key]] = true; });
      var keep = f.el.value;
      var options = [new Option(text('filter.all'), '')].concat(Object.keys(values).sort().map(function (v) {
        return new Option(f.key === 'label' && texts['label.' + v] ? text('label.' + v) : v, v);
      }));
      f.el.replaceChildren.apply(f.el, options);
      f.el.value = values[keep] ? keep : '';
    });
    applyFilters();
  }
  function filtered(li) {
    return filters.some(function (f) { return f.el.value !== '' && li.dataset[f.key] !== f.el.value; });
  }
  function applyFilters() {
    Array.prototype.forEach.call(feed.children, function (li) { li.hidden = filtered(li); });
  }
  filters.forEach(function (f) { f.el.addEventListener('change', applyFilters); });

  function tick(root) {
    (root || document).querySelectorAll('[data-seen]').forEach(function (el) {
      var s = Math.max(0, Math.round((Date.now() - Number(el.dataset.seen)) / 1000));
      var age = s < 120 ? text('age.seconds', { n: s }) : s < 7200 ? text('age.minutes', { n: Math.round(s / 60) }) : text('age.hours', { n: Math.round(s / 3600) });
      el.textContent = text('host.seen', { age: age });
    });
  }
  setInterval(function () { tick(); }, 1000);

  feed.addEventListener('submit', function (e) {
    var form = e.target.closest('form.ack');
    if (!form) return;
    e.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    fetch('/ack', { method: 'POST', body: body, headers: { accept: 'application/json', 'x-csrf-token': csrf }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); })
      .catch(function (err) { form.querySelector('button').textContent = text('alert.retry', { error: err.message }); });
  });


  // "Look now": a fresh picture of one camera, refreshed while the view is open, for a bounded time.
  var LOOK_EVERY_MS = 2000;
  var LOOK_MINUTES = 5;
  var look = document.getElementById('look');
  var lookImg = document.getElementById('look-img');
  var lookStatus = document.getElementById('look-status');
  var lookKey = null;
  var lookTimer = null;
  var lookUntil = 0;
  var lookObject = null;
  function closeLook() {
    look.hidden = true;
    lookKey = null;
    if (lookTimer !== null) clearTimeout(lookTimer);
    lookTimer = null;
    if (lookObject) URL.revokeObjectURL(lookObject);
    lookObject = null;
    lookImg.removeAttribute('src');
  }
  function refreshLook() {
    lookTimer = null;
    var key = lookKey;
    if (key === null) return;
    if (Date.now() > lookUntil) { lookStatus.textContent = text('look.stopped', { minutes: LOOK_MINUTES }); return; }
    fetch('/look/' + key + '.jpg', { headers: { 'x-csrf-token': csrf }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { if (!r.ok) return r.text().then(function (t) { throw new Error(t.trim() || 'HTTP ' + r.status); }); return r.blob(); })
      .then(function (blob) {
        if (key !== lookKey) return;
        var url = URL.createObjectURL(blob);
        lookImg.src = url;
        if (lookObject) URL.revokeObjectURL(lookObject);
        lookObject = url;
        lookStatus.textContent = '';
      })
      .catch(function (err) { if (key === lookKey) lookStatus.textContent = text('look.failed', { error: err.message }); })
      .then(function () { if (key === lookKey) lookTimer = setTimeout(refreshLook, LOOK_EVERY_MS); });
  }
  document.getElementById('hosts').addEventListener('click', function (e) {
    var button = e.target.closest('button.look');
    if (!button) return;
    closeLook();
    lookKey = button.dataset.look;
    lookUntil = Date.now() + LOOK_MINUTES * 60000;
    document.getElementById('look-title').textContent = lookKey;
    lookImg.alt = text('look.alt', { camera: lookKey });
    lookStatus.textContent = '';
    look.hidden = false;
    refreshLook();
  });
  document.getElementById('look-close').addEventListener('click', closeLook);
  window.addEventListener('pagehide', closeLook);
  document.addEventListener('visibilitychange', function () { if (document.hidden) closeLook(); });

  function setLink(state, text) { link.className = 'badge ' + state; link.textContent = text; }
  // Pushed fragments come in the page's language, whatever the cookie or the browser say by now.
  var events = new EventSource('/events?lang=' + encodeURIComponent(document.documentElement.lang));
  events.onopen = function () { setLink('online', text('link.live')); };
  events.onerror = function () { setLink('offline', text('link.reconnecting')); };
  events.addEventListener('link', function (e) {
    var d = JSON.parse(e.data);
    setLink(d.connected ? 'online' : 'offline', d.connected ? text('link.live') : text('link.brokerUnreachable'));
  });
  events.addEventListener('hosts', function (e) { replace('hosts', JSON.parse(e.data).html); tick(); });
  events.addEventListener('host', function (e) {
    var data = JSON.parse(e.data);
    var old = document.querySelector('#hosts article[data-host="' + CSS.escape(data.id) + '"]');
    if (!old) return;
    var row = fragment(data.html).firstElementChild;
    old.replaceWith(row);
    tick(row);
  });
  // Only some cameras of a village changed (a new picture), or its last sign of life.
  events.addEventListener('cams', function (e) {
    var data = JSON.parse(e.data);
    var article = document.querySelector('#hosts article[data-host="' + CSS.escape(data.id) + '"]');
    if (!article) return;
    data.cams.forEach(function (cam) {
      var old = article.querySelector('figure[data-camera="' + CSS.escape(cam.id) + '"]');
      if (old) old.replaceWith(fragment(cam.html));
    });
    var age = article.querySelector('[data-seen]');
    if (age && data.seen !== null) { age.dataset.seen = String(data.seen); tick(article); }
  });
  events.addEventListener('health', function (e) { replace('health', JSON.parse(e.data).html); });
  events.addEventListener('summary', function (e) { replace('summary', JSON.parse(e.data).html); });
  events.addEventListener('feed', function (e) {
    var d = JSON.parse(e.data);
    replace('feed', d.html);
    moreFromServer = d.more || 0;
    dropped = {};
    showMore();
    refreshFilters();
  });
  events.addEventListener('alert', function (e) { upsert(JSON.parse(e.data)); refreshFiltersSoon(); });
  refreshFilters();
})();

// The event page: fetch the clip on demand, show its progress, then play it.
(function () {
  var section = document.getElementById('clip');
  if (!section) return;
  var POLL_MS = 1000;
  var MAX_POLLS = 900; // 15 minutes, then the page says to reload
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var texts = JSON.parse(document.querySelector('meta[name="console-text"]').content);
  function text(key, params) {
    return texts[key].replace(/\\{(\\w+)\\}/g, function (whole, name) { return params && name in params ? String(params[name]) : whole; });
  }
  var base = section.dataset.clip;
  var form = section.querySelector('form.clip-fetch');
  var bar = section.querySelector('progress');
  var status = section.querySelector('.clip-status');
  var polls = 0;
  var timer = null;

  function show(p) {
    if (p.state === 'ready') {
      stop();
      var video = document.createElement('video');
      video.id = 'clip-video';
      video.controls = true;
      video.preload = 'metadata';
      video.src = base + '.mp4';
      form.replaceWith(video);
      bar.hidden = true;
      status.textContent = '';
      return;
    }
    var percent = p.total > 0 ? Math.floor(p.bytes / p.total * 100) : 0;
    bar.hidden = p.state !== 'fetching';
    bar.value = percent;
    form.querySelector('button').disabled = p.state === 'fetching';
    status.textContent = p.state === 'fetching' ? text('clip.fetching', { percent: percent }) : p.state === 'failed' ? text('clip.failed', { error: p.error }) : '';
    if (p.state !== 'fetching') stop();
  }
  function poll() {
    if (++polls > MAX_POLLS) { stop(); status.textContent = text('clip.gaveUp'); return; }
    fetch(base, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(show)
      .catch(function (err) { status.textContent = text('clip.failed', { error: err.message }); });
  }
  function watch() { if (timer === null) timer = setInterval(poll, POLL_MS); }
  function stop() { if (timer !== null) clearInterval(timer); timer = null; }
  window.addEventListener('pagehide', stop);

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    polls = 0;
    fetch(base, { method: 'POST', headers: { accept: 'application/json', 'x-csrf-token': csrf }, credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) return r.text().then(function (t) { throw new Error(t.trim() || 'HTTP ' + r.status); }); return r.json(); })
      .then(function (p) { show(p); if (p.state === 'fetching') watch(); })
      .catch(function (err) { status.textContent = text('clip.failed', { error: err.message }); });
  });
  if (section.dataset.state === 'fetching') watch();
})();
`;
