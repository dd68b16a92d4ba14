/**
 * Message catalogues and `t(key, params)`. A catalogue is a plain object of key → text, the
 * English one the source of truth: its keys type every other language's catalogue (a missing or
 * extra key is a type error) and its `{name}` placeholders type the parameters of `t`.
 */
import type { Lang } from './lang.js';

/** The `{name}` placeholders in a text, as a union of names. */
export type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

type ParamValue = string | number;
/** The parameters `t(key, ...)` takes for a text `S`: none, or one value per placeholder. */
export type ParamsOf<S extends string, V = ParamValue> = [Placeholders<S>] extends [never] ? [] : [params: Readonly<Record<Placeholders<S>, V>>];

/** Another language's catalogue for the English `E`: the same keys, each a text. */
export type Catalogue<E> = { readonly [K in keyof E]: string };

export type Translate<E extends Readonly<Record<string, string>>> = <K extends keyof E & string>(key: K, ...params: ParamsOf<E[K]>) => string;

const PLACEHOLDER = /\{(\w+)\}/g;

export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').sort();
}

export function interpolate(text: string, params: Readonly<Record<string, ParamValue>> | undefined): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = params?.[name];
    return value === undefined ? whole : String(value);
  });
}

/** One language's `t`. Every catalogue has every key (the types see to it), so nothing falls back. */
export function translator<E extends Readonly<Record<string, string>>>(catalogues: Readonly<Record<Lang, Catalogue<E>>>, lang: Lang): Translate<E> {
  const catalogue = catalogues[lang];
  return (key, ...params) => interpolate(catalogue[key], params[0]);
}
