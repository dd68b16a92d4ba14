/** The web console's catalogues and its `t`. */
import type { Lang } from '../../../core/i18n/lang.js';
import { translator, type Translate } from '../../../core/i18n/translate.js';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

export type WebKey = keyof typeof en;
export type WebText = Translate<typeof en> & { readonly lang: Lang };

export const WEB_CATALOGUES = { en, 'zh-CN': zhCN } as const;

const cache = new Map<Lang, WebText>();

export function webText(lang: Lang): WebText {
  let text = cache.get(lang);
  if (text === undefined) {
    text = Object.assign(translator<typeof en>(WEB_CATALOGUES, lang), { lang });
    cache.set(lang, text);
  }
  return text;
}

/** The text of `<prefix>.<value>` for a value a host sent (a state, a reason, a kind), or the value itself when there is none. */
export function valueText(t: WebText, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return isWebKey(key) ? WEB_CATALOGUES[t.lang][key] : value;
}

function isWebKey(key: string): key is WebKey {
  return Object.hasOwn(en, key);
}

/** What the page's script needs to say by itself (it builds no HTML, only these texts). */
export const CLIENT_KEYS = ['filter.all', 'link.live', 'link.reconnecting', 'link.brokerUnreachable', 'alert.retry', 'feed.more', 'host.seen', 'age.seconds', 'age.minutes', 'age.hours', 'label.person', 'label.ebike',
  'clip.fetching', 'clip.failed', 'clip.gaveUp', 'look.alt', 'look.failed', 'look.stopped'] as const satisfies readonly WebKey[];

export function clientTexts(lang: Lang): Record<(typeof CLIENT_KEYS)[number], string> {
  const catalogue = WEB_CATALOGUES[lang];
  return Object.fromEntries(CLIENT_KEYS.map((key) => [key, catalogue[key]])) as Record<(typeof CLIENT_KEYS)[number], string>;
}
