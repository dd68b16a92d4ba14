/**
 * The page's stylesheet, served as /static/console.css (same origin, so the CSP can forbid inline
 * style). Its client script is in ./assets.ts.
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
