import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LANGS, type Lang } from '../../../agent/core/i18n/lang.js';
import { placeholdersOf } from '../../../agent/core/i18n/translate.js';
import { CAMERA_FAULT_REASONS, CAMERA_STATES, EVENT_QUIET, HEALTH_KINDS, LABELS, SEVERITIES } from '../../../agent/link/contract/v1.js';
import type { AlertEntry } from '../../../agent/station/alerts.js';
import { StationState } from '../../../agent/station/state.js';
import { CONSOLE_JS } from '../../../agent/station/web/assets.js';
import { SseHub } from '../../../agent/station/web/sse.js';
import { CLIENT_KEYS, WEB_CATALOGUES, clientTexts, webText } from '../../../agent/station/web/i18n/index.js';
import { LOCAL_OPERATOR, renderAlert, renderFeed, renderHealth, renderHosts, renderLoginPage, renderPage, renderSummary, type Viewer } from '../../../agent/station/web/render.js';
import { renderEvent, renderHistory } from '../../../agent/station/web/history.js';
import { FakeClock } from '../../fakes/clock.js';
import { JPEG, T0, at, camera, event, health, msg, status, topic } from './fixtures.js';

const { en, 'zh-CN': zh } = WEB_CATALOGUES;
const KEYS = Object.keys(en) as (keyof typeof en)[];

/** The console's own detail of a failed fetch, shown as it is (like a host's message). */
const CLIP_ERROR = 'xidian-01 answered not_found';

/** Strings a host sent (ids, its own messages): shown as they came, in any language. */
const HOST_DATA = [
  'xidian-01', 'dongcun-02', 'nanzhuang-03', 'gate', 'road', 'lane', 'mb3-centernet', 'bad signature', 'disk turned read-only',
  CLIP_ERROR, 'camera road does not answer', 'camera lane does not answer', 'camera lane is back', 'lens covered by a bag', '/var/lib/minwang', 'alice', '0.1.0', 'p1', 'sqlite',
];

/** A station with one of everything the page can show. */
function station(): StationState {
  const clock = new FakeClock(new Date(T0 + 100_000));
  const state = new StationState({ clock });
  const live = { receivedAt: clock.now(), retained: false };
  const apply = (name: string, payload: unknown) => state.apply(msg(name, payload), live);
  apply(topic.status('xidian-01'), status('online', 3));
  apply(topic.status('dongcun-02'), status('offline', 1));
  apply(topic.status('nanzhuang-03'), status('stopped', 2));
  apply(topic.cameraStatus('xidian-01', 'gate'), { ...camera('gate', 'degraded', 'covered'), detail: 'lens covered by a bag' });
  apply(topic.cameraStatus('xidian-01', 'road'), camera('road', 'offline', 'unreachable'));
  apply(topic.cameraStatus('xidian-01', 'lane'), camera('lane', 'online', null));
  apply(topic.model('xidian-01'), { ts: at(1), installed: { id: 'mb3-centernet', version: 3, sha256: 'ab' }, update: { state: 'downloading', version: 4, progress: 0.45 } });
  apply(topic.model('dongcun-02'), { ts: at(1), installed: null, update: { state: 'failed', error: 'bad signature' } });
  apply(topic.patrol('xidian-01'), { ts: at(2), id: 'p1' });
  apply(topic.patrolSheet('xidian-01', 'p1'), JPEG);
  apply(topic.events('xidian-01'), event('e1', 5, { label: 'ebike', score: 0.91, camera: 'lane' }));
  apply(topic.eventThumbnail('xidian-01', 'e1'), JPEG);
  apply(topic.events('xidian-01'), event('e0', 2, { historical: true }));
  EVENT_QUIET.forEach((quiet, i) => apply(topic.events('xidian-01'), event(`q${i}`, 10 + i, { alert: false, quiet, thumbnail: false })));
  apply(topic.events('xidian-01'), event('e3', 20));
  apply(topic.events('xidian-01'), { ...event('e3', 21), type: 'end', endedAt: at(21) });
  apply(topic.events('xidian-01'), event('e4', 22));
  apply(topic.events('xidian-01'), event('e5', 23));
  state.acknowledge('xidian-01/e4', { by: LOCAL_OPERATOR, at: at(30) });
  state.acknowledge('xidian-01/e5', { by: 'alice', at: at(31) });
  apply(topic.health('xidian-01'), health('h1', 24, { severity: 'critical', kind: 'disk_readonly', subject: '/var/lib/minwang', message: 'disk turned read-only' }));
  apply(topic.health('xidian-01'), health('h2', 25, { subject: 'road', message: 'camera road does not answer' }));
  apply(topic.health('xidian-01'), health('h3', 26, { subject: 'lane', message: 'camera lane does not answer' }));
  apply(topic.health('xidian-01'), health('h3', 27, { subject: 'lane', state: 'cleared', message: 'camera lane is back' }));
  return state;
}

function everything(lang: Lang): string {
  const state = station();
  const viewer: Viewer = { user: 'alice', csrf: 'tok', lang };
  const loginPages = ([null, 'login.wrong', 'login.blocked', 'login.busy'] as const).map((problem) => renderLoginPage(lang, problem));
  const empty = new StationState({ clock: new FakeClock() });
  const fragments = [renderSummary(state, lang), renderHosts(state, lang), renderHealth(state, lang), renderFeed(state, viewer), renderHosts(empty, lang), renderHealth(empty, lang)]
    .map((h) => h.value);
  const alert = state.alert('xidian-01/e1');
  const stored = state.alerts().map((a, i) => ({ ...a, hasThumbnail: i % 2 === 0 }));
  const history = [
    renderHistory({ limit: 50, host: 'xidian-01', alert: true }, { events: stored, next: 'cursor' }, 'sqlite', lang),
    renderHistory({ limit: 50 }, { events: [], next: null }, 'sqlite', lang),
    ...stored.flatMap((e) => [renderEvent(e, { hasThumbnail: true, clip: null }, viewer), renderEvent({ ...e, ack: null, endedAt: null }, { hasThumbnail: false, clip: null }, viewer)]),
    ...clipPages(stored[0]!, viewer),
  ];
  return [renderPage(state, viewer), renderPage(state, { ...viewer, user: null }), ...loginPages, ...fragments, renderAlert(alert!, false, viewer).value, ...history].join('\n');
}

/** The event page with its clip in every state the page can show it. */
function clipPages(e: AlertEntry, viewer: Viewer): string[] {
  const withClip = { ...e, clip: { bytes: 1_234_567, durationS: 12.3, sha256: 'ab'.repeat(32) } };
  const total = withClip.clip.bytes;
  return [
    renderEvent(withClip, { hasThumbnail: true, clip: null, frame: { box: [0.1, 0.2, 0.4, 0.9], width: 1280, height: 720 } }, viewer),
    ...(['none', 'fetching', 'ready'] as const).map((state) => renderEvent(withClip, { hasThumbnail: true, clip: { state, bytes: 4096, total, error: null } }, viewer)),
    renderEvent(withClip, { hasThumbnail: true, clip: { state: 'failed', bytes: 0, total, error: CLIP_ERROR } }, viewer),
  ];
}

/** What a reader sees: text between tags, and the attributes a browser shows (title, alt, aria-label). The language links are left out: each is named in its own language. */
function visible(page: string): string {
  const withoutChoice = page.replace(/<nav class="lang"[\s\S]*?<\/nav>/g, '');
  const attributes = [...withoutChoice.matchAll(/\s(?:title|alt|aria-label)="([^"]*)"/g)].map((m) => m[1]);
  const text = withoutChoice.replace(/<[^>]*>/g, ' ');
  return [text, ...attributes].join(' ').replace(/&[a-z]+;|&#\d+;/g, ' ');
}

/** Names a Chinese screen writes in Latin letters too (the time standard, the file format). */
const TECHNICAL_NAMES = ['UTC', 'CSV'];

function withoutHostData(text: string): string {
  let out = text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, ' ');
  for (const data of [...HOST_DATA, ...TECHNICAL_NAMES].sort((a, b) => b.length - a.length)) out = out.split(data).join(' ');
  return out;
}

describe('web console catalogues', () => {
  it('have the same keys in every language, each text with the same placeholders', () => {
    for (const lang of LANGS) {
      expect(Object.keys(WEB_CATALOGUES[lang]).sort()).toEqual([...KEYS].sort());
      for (const key of KEYS) expect(placeholdersOf(WEB_CATALOGUES[lang][key]), `${lang} ${key}`).toEqual(placeholdersOf(en[key]));
    }
  });

  it('translate every text into Chinese (none is a copy of the English)', () => {
    expect(KEYS.filter((key) => (zh[key] as string) === en[key])).toEqual([]);
    expect(KEYS.filter((key) => !/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(zh[key]))).toEqual([]);
  });

  it('name every state, reason, kind, severity, label and quiet reason the contract has', () => {
    const needed = [
      ...LABELS.map((v) => `label.${v}`), ...CAMERA_STATES.map((v) => `cameraState.${v}`), ...CAMERA_FAULT_REASONS.map((v) => `fault.${v}`),
      ...HEALTH_KINDS.map((v) => `healthKind.${v}`), ...SEVERITIES.map((v) => `severity.${v}`), ...EVENT_QUIET.map((v) => `quiet.${v}`),
      ...['online', 'stale', 'offline', 'stopped', 'unknown'].map((v) => `liveness.${v}`),
      ...['downloading', 'verifying', 'testing', 'active', 'failed', 'rolled_back'].map((v) => `update.${v}`),
    ];
    expect(needed.filter((key) => !Object.hasOwn(en, key))).toEqual([]);
  });

  it('give the page script every text it asks for, and nothing it says is left in the script itself', () => {
    const asked = [...CONSOLE_JS.matchAll(/text\('([\w.]+\w)'/g)].map((m) => m[1]);
    expect(asked.length).toBeGreaterThan(5);
    expect(asked.filter((key) => !(CLIENT_KEYS as readonly string[]).includes(key!))).toEqual([]);
    for (const label of LABELS) expect(CLIENT_KEYS).toContain(`label.${label}`);
    for (const lang of LANGS) expect(Object.keys(clientTexts(lang)).sort()).toEqual([...CLIENT_KEYS].sort());
    // Words the script used to write itself.
    expect(CONSOLE_JS).not.toMatch(/'(all|live|reconnecting…|broker unreachable|seen )'/);
  });
});

describe('every web page in both languages', () => {
  it('is marked with its language and leaves no placeholder unfilled', () => {
    for (const lang of LANGS) {
      const pages = everything(lang);
      expect(pages).toContain(`<html lang="${lang}">`);
      expect(pages.match(/<html lang="([^"]+)">/g)?.every((tag) => tag === `<html lang="${lang}">`)).toBe(true);
      expect(visible(pages)).not.toMatch(/\{\w+\}/);
    }
  });

  it('in Chinese shows no English word but what the hosts sent', () => {
    const text = withoutHostData(visible(everything('zh-CN')));
    expect(text).toMatch(/各村/);
    expect(text.match(/[A-Za-z]{2,}/g) ?? []).toEqual([]);
  });

  it('in Chinese contains no English text of the catalogue', () => {
    const pages = everything('zh-CN').replace(/<nav class="lang"[\s\S]*?<\/nav>/g, '');
    const fragments = KEYS.flatMap((key) => en[key].split(/\{\w+\}/)).filter((f) => /[A-Za-z]{3,}/.test(f));
    const text = withoutHostData(visible(pages));
    expect(fragments.filter((f) => text.includes(f))).toEqual([]);
  });

  it('in English shows no Chinese but the link to the Chinese page', () => {
    const pages = everything('en');
    expect(visible(pages)).not.toMatch(/[\u4e00-\u9fff]/);
    expect(pages).toContain('<a href="?lang=zh-CN" hreflang="zh-CN" lang="zh-CN">简体中文</a>');
    expect(everything('zh-CN')).toContain('<a href="?lang=en" hreflang="en" lang="en">English</a>');
  });

  it('writes the states, labels and counts in Chinese words', () => {
    const page = everything('zh-CN');
    for (const words of ['<span class="badge offline">离线</span>', '<span class="badge online">在线</span>', '已停止', '画面异常 · 镜头被遮挡', '离线 · 连不上', '<strong>电动车</strong>', '<button>确认</button>',
      '✓ 本机值班员', '✓ alice', '未告警：冷却期内', '未告警：未布防', '未告警：超过频率上限', '磁盘变为只读', '最近已恢复（1）', '模型 mb3-centernet v3 · 升级到 v4：下载中', '模型 未安装 · 升级：失败', '模型未知',
      '共 3 个村 · 2 个不在线 · 2 个摄像头故障 · 3 条告警未确认', '巡检画面汇总 p1', '用户名或密码错误。', '还没有村里的主机上报。', '没有设备告警。', 'alice · 退出登录']) {
      expect(page).toContain(words);
    }
    expect(webText('zh-CN')('host.seen', { age: webText('zh-CN')('age.minutes', { n: 3 }) })).toBe('3 分钟前上报');
  });
});

describe('pushing to pages in different languages', () => {
  it('renders each fragment once per language in use and sends each page its own', () => {
    const hub = new SseHub();
    const pages = (['en', 'zh-CN', 'zh-CN'] as const).map((lang) => {
      const written: string[] = [];
      const res = { writeHead: () => res, write: (chunk: string) => written.push(chunk), on: () => res } as unknown as ServerResponse;
      hub.add(res, null, lang);
      return written;
    });
    const rendered: Lang[] = [];
    hub.broadcastInLanguage('summary', (lang) => {
      rendered.push(lang);
      return { html: renderSummary(new StationState({ clock: new FakeClock() }), lang).value };
    });
    expect(rendered).toEqual(['en', 'zh-CN']);
    expect(pages.map((written) => written.at(-1))).toEqual([
      `event: summary\ndata: ${JSON.stringify({ html: '0 villages · 0 not online · 0 cameras faulty · 0 unacknowledged' })}\n\n`,
      `event: summary\ndata: ${JSON.stringify({ html: '共 0 个村 · 0 个不在线 · 0 个摄像头故障 · 0 条告警未确认' })}\n\n`,
      `event: summary\ndata: ${JSON.stringify({ html: '共 0 个村 · 0 个不在线 · 0 个摄像头故障 · 0 条告警未确认' })}\n\n`,
    ]);
  });
});
