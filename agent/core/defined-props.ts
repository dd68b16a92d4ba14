/** Keys whose type admits `undefined` become optional and lose `undefined`; the others stay as they are. */
export type DefinedProps<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * The object without its `undefined`-valued keys, so an optional property is absent rather than
 * present as `undefined` (what `in`, `Object.keys`, strict equality and `exactOptionalPropertyTypes`
 * see). `...definedProps({ username, password })` replaces one `...(x === undefined ? {} : { x })` per key.
 */
export function definedProps<T extends object>(props: T): DefinedProps<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) if (value !== undefined) out[key] = value;
  return out as DefinedProps<T>;
}
