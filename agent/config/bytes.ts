import { z } from 'zod';

const UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};
const BYTES_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)$/i;

/** Parses `512MB`, `1.5GiB`, `100kB`, `42B` into bytes (SI for kB/MB/GB, binary for KiB/MiB/GiB). */
export function parseBytes(text: string): number | undefined {
  const m = BYTES_RE.exec(text.trim());
  if (m === null) return undefined;
  const value = Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? Number.NaN);
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** A config byte size such as `2GB`; bare numbers are refused so the unit is always visible. */
export function byteSize(bounds: { min: number; max: number }) {
  return z.unknown().transform((value, ctx): number => {
    const bytes = typeof value === 'string' ? parseBytes(value) : undefined;
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size (examples: 512MB, 2GB, 1GiB)` });
      return z.NEVER;
    }
    if (bytes < bounds.min || bytes > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is out of range (${bounds.min} to ${bounds.max} bytes)` });
      return z.NEVER;
    }
    return bytes;
  });
}
