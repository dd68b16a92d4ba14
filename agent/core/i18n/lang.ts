/**
 * The languages minwang's screens speak, and how one is chosen: from a browser's
 * `Accept-Language`, from the host's locale (LC_ALL, LC_MESSAGES, LANG) or from a `--lang` flag.
 */
export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'en';

/** Language ranges read from one header: enough for any real browser, bounded for a hostile one. */
const MAX_RANGES = 32;
const QVALUE = /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/i;

/**
 * Which of our languages one BCP 47 tag asks for: Chinese in simplified script (zh, zh-CN,
 * zh-Hans, zh-SG, zh-Hans-HK...) is zh-CN; traditional (zh-TW, zh-HK, zh-Hant) is not ours;
 * en and any en-XX is en.
 */
export function langOfTag(tag: string): Lang | undefined {
  const parts = tag.trim().toLowerCase().split(/[-_]/);
  const [primary, second] = parts;
  if (primary === 'en') return 'en';
  if (primary !== 'zh') return undefined;
  if (parts.includes('hans')) return 'zh-CN';
  if (parts.includes('hant')) return undefined;
  return second === undefined || second === 'cn' || second === 'sg' ? 'zh-CN' : undefined;
}

/**
 * The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4): ranges by
 * q-value, highest first, ties in the order given; `q=0` means "not this one". A header that
 * names none of ours (or `*` only) gets the default.
 */
export function langFromAcceptLanguage(header: string | undefined): Lang {
  if (header === undefined) return DEFAULT_LANG;
  const ranges = header.split(',').slice(0, MAX_RANGES).flatMap((item, order) => {
    const [range = '', ...params] = item.split(';').map((p) => p.trim());
    let q = 1;
    for (const param of params) {
      if (!/^q=/i.test(param)) continue;
      if (!QVALUE.test(param)) return [];
      q = Number(param.slice(2));
    }
    return range === '' || q === 0 ? [] : [{ range, q, order }];
  });
  ranges.sort((a, b) => b.q - a.q || a.order - b.order);
  for (const { range } of ranges) {
    const lang = langOfTag(range);
    if (lang !== undefined) return lang;
  }
  return DEFAULT_LANG;
}

/**
 * The language of the host's locale, as gettext looks for it: LC_ALL, then LC_MESSAGES, then
 * LANG, the first that is set. `zh_CN.UTF-8`, `zh_SG.GBK` and `zh_CN` are zh-CN; C, POSIX and
 * the rest are English.
 */
export function langFromLocale(env: Readonly<Record<string, string | undefined>>): Lang {
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((v) => v !== undefined && v !== '');
  if (locale === undefined) return DEFAULT_LANG;
  return langOfTag(locale.replace(/[.@].*$/, '')) ?? DEFAULT_LANG;
}

/** A `--lang` value or a `?lang=` choice: exactly one of LANGS (any letter case). */
export function parseLang(text: string): Lang | undefined {
  return LANGS.find((lang) => lang.toLowerCase() === text.toLowerCase());
}
