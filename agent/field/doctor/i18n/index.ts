/**
 * The doctor's catalogues. Checks say what they found as `Text` (a key and its parameters), not
 * as finished sentences, so one run can be printed in any language: the checklist in the
 * installer's, `--json` in English unless `--lang` asks otherwise.
 */
import type { Lang } from '../../../core/i18n/lang.js';
import { interpolate, type ParamsOf } from '../../../core/i18n/translate.js';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

export type DoctorKey = keyof typeof en;

/** A parameter: a value shown as is (a path, a number, an error from below), or more text to translate. */
export type TextParam = string | number | Text | readonly Text[];

export interface Text {
  readonly key: DoctorKey;
  readonly params?: Readonly<Record<string, TextParam>>;
}

export const DOCTOR_CATALOGUES = { en, 'zh-CN': zhCN } as const;

/** A text of the catalogue, its parameters checked against the English text's placeholders. */
export function say<K extends DoctorKey>(key: K, ...params: ParamsOf<(typeof en)[K], TextParam>): Text {
  const [values] = params as [Readonly<Record<string, TextParam>>?];
  return values === undefined ? { key } : { key, params: values };
}

/** A detection label in words; a label the catalogue does not know (a new model's) is shown as it is. */
export function labelText(label: string): Text | string {
  const key = `model.label.${label}`;
  return Object.hasOwn(en, key) ? { key: key as DoctorKey } : label;
}

export function textIn(lang: Lang, text: Text): string {
  const catalogue = DOCTOR_CATALOGUES[lang];
  const params = text.params === undefined ? undefined : Object.fromEntries(Object.entries(text.params).map(([name, value]) => [name, paramIn(lang, value)]));
  return interpolate(catalogue[text.key], params);
}

function paramIn(lang: Lang, value: TextParam): string | number {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (isTextList(value)) return value.map((item) => textIn(lang, item)).join(DOCTOR_CATALOGUES[lang]['list.separator']);
  return textIn(lang, value);
}

function isTextList(value: Text | readonly Text[]): value is readonly Text[] {
  return Array.isArray(value);
}
