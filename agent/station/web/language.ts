/**
 * Which language a request is answered in. In order: a choice made on the page (`?lang=`, then
 * kept in a cookie), the console's `--lang`, the browser's `Accept-Language`, English.
 */
import type { IncomingMessage } from 'node:http';
import { langFromAcceptLanguage, parseLang, type Lang } from '../../core/i18n/lang.js';
import { readCookie } from './sessions.js';

const LANG_COOKIE = 'minwang_lang';
const YEAR_S = 365 * 24 * 3600;

export function requestLang(req: IncomingMessage, url: URL, fixed: Lang | null): Lang {
  return chosenLang(url)
    ?? parseLang(readCookie(req.headers.cookie, LANG_COOKIE) ?? '')
    ?? fixed
    ?? langFromAcceptLanguage(req.headers['accept-language']);
}

/** The language picked with `?lang=` on this request, if it names one of ours. */
export function chosenLang(url: URL): Lang | undefined {
  const value = url.searchParams.get('lang');
  return value === null ? undefined : parseLang(value);
}

/** Remembers a choice made on the page. Not a secret; Secure like the session cookie (loopback counts as secure). */
export function langCookie(lang: Lang): string {
  return `${LANG_COOKIE}=${lang}; Path=/; Secure; SameSite=Lax; Max-Age=${YEAR_S}`;
}
