/**
 * What a config field may carry in zod's metadata besides its `.describe()` text. The example
 * generator (`example.ts`) reads it; validation ignores it.
 */
declare module 'zod' {
  interface GlobalMeta {
    /**
     * The value the example config shows for this key, written as in YAML (`30s`, not 30000). For an
     * object, the keys the example sets; a key it does not set shows its own default or example.
     */
    example?: unknown;
    /** A duration (`30s`) or byte size (`64MiB`) held as a number: shown in that form, with `min`..`max`. */
    unit?: 'duration' | 'size';
    min?: number;
    max?: number;
  }
}

export {};
