import { describe, expect, it } from 'vitest';
import { langFromAcceptLanguage, langFromLocale, langOfTag, parseLang } from '../../../agent/core/i18n/lang.js';
import { interpolate, placeholdersOf } from '../../../agent/core/i18n/translate.js';

describe('choosing a language from Accept-Language', () => {
  it.each([
    ['zh-CN', 'zh-CN'], ['zh', 'zh-CN'], ['zh-Hans', 'zh-CN'], ['zh-SG', 'zh-CN'], ['zh-Hans-HK', 'zh-CN'], ['ZH-cn', 'zh-CN'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['fr-FR, zh;q=0.5', 'zh-CN'],
    ['en;q=0.4, zh-CN;q=0.6', 'zh-CN'],
    ['zh-CN;q=0, en', 'en'],
    ['zh-TW, zh-HK;q=0.9', 'en'],
    ['zh-Hant', 'en'],
    ['zh-TW, zh-CN;q=0.8, en;q=0.5', 'zh-CN'],
    ['de, fr;q=0.8', 'en'],
    ['*', 'en'],
    ['', 'en'],
    ['zh-CN;q=2', 'en'],
    ['zh-CN;q=abc, en', 'en'],
    ['zh-CN;q=0.001', 'zh-CN'],
    [' zh-CN ; q=0.7 ,en;q=0.6', 'zh-CN'],
  ])('%j → %s', (header, lang) => {
    expect(langFromAcceptLanguage(header)).toBe(lang);
  });

  it('answers English without a header, and reads a hostile header only so far', () => {
    expect(langFromAcceptLanguage(undefined)).toBe('en');
    expect(langFromAcceptLanguage(`${'xx,'.repeat(10_000)}zh-CN`)).toBe('en');
  });

  it('keeps the given order between ranges of equal weight', () => {
    expect(langFromAcceptLanguage('zh;q=0.8, en;q=0.8')).toBe('zh-CN');
    expect(langFromAcceptLanguage('en;q=0.8, zh;q=0.8')).toBe('en');
  });
});

describe('choosing a language from the locale', () => {
  it.each([
    [{ LANG: 'zh_CN.UTF-8' }, 'zh-CN'],
    [{ LANG: 'zh_SG.GBK' }, 'zh-CN'],
    [{ LANG: 'zh_CN' }, 'zh-CN'],
    [{ LANG: 'zh_TW.UTF-8' }, 'en'],
    [{ LANG: 'C.UTF-8' }, 'en'],
    [{ LANG: 'POSIX' }, 'en'],
    [{}, 'en'],
    [{ LANG: 'zh_CN.UTF-8', LC_ALL: 'C' }, 'en'],
    [{ LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8' }, 'zh-CN'],
    [{ LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.utf8@pinyin' }, 'zh-CN'],
    [{ LANG: 'zh_CN.UTF-8', LC_ALL: '' }, 'zh-CN'],
  ])('%j → %s', (env, lang) => {
    expect(langFromLocale(env)).toBe(lang);
  });
});

describe('language names', () => {
  it('takes exactly ours for --lang and ?lang=', () => {
    expect(parseLang('zh-CN')).toBe('zh-CN');
    expect(parseLang('zh-cn')).toBe('zh-CN');
    expect(parseLang('en')).toBe('en');
    expect(parseLang('zh')).toBeUndefined();
    expect(parseLang('fr')).toBeUndefined();
    expect(langOfTag('en-GB')).toBe('en');
  });
});

describe('interpolation', () => {
  it('fills named placeholders and leaves unknown ones visible', () => {
    expect(interpolate('{a} · {b} · {a}', { a: 1, b: 'x' })).toBe('1 · x · 1');
    expect(interpolate('{a} {missing}', { a: 1 })).toBe('1 {missing}');
    expect(placeholdersOf('共 {hosts} 个村 · {down}')).toEqual(['down', 'hosts']);
  });
});
