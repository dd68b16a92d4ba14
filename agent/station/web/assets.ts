/**
 * The page's small client, served as /static/console.js (same origin, so the CSP can forbid inline
 * script; the stylesheet is ./console-css.ts). The client listens to /events (Server-Sent Events) and
 * swaps in the fragments the server renders; it never builds HTML from data itself. Its own few words
 * come from the page (`<meta name="console-text">`, from the catalogues in ./i18n/), in the page's language.
 */
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
