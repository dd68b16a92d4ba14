import { z } from 'zod';
import './meta.js';

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, tib: 1024 ** 4, tb: 1000 ** 4 };
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** Parses `512KiB`, `64MiB`, `1GiB`, `10MB`, `2GB`, `2048B` into bytes (SI for kB/MB/GB/TB, binary for KiB/MiB/GiB/TiB). */
export function parseByteSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text.trim());
  if (m === null) return undefined;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined || (m[2] ?? '') === '') return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const UNITS_LARGEST_FIRST = [
  ['TiB', 1024 ** 4], ['TB', 1000 ** 4], ['GiB', 1024 ** 3], ['GB', 1000 ** 3],
  ['MiB', 1024 ** 2], ['MB', 1000 ** 2], ['KiB', 1024], ['kB', 1000],
] as const;

/** Renders bytes the way a person writes them: the largest unit that divides evenly (64MiB, 2GB, 1500B). */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of UNITS_LARGEST_FIRST) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * A config size such as `64MiB`, turned into bytes. A unit is required, as with durations:
 * a bare `64` could mean anything.
 */
export function byteSize(bounds: { min: number; max: number }) {
  return z.unknown().transform((value, ctx): number => {
    const bytes = typeof value === 'string' ? parseByteSize(value) : undefined;
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a size (examples: 64KiB, 256MiB, 2GB)` });
      return z.NEVER;
    }
    if (bytes < bounds.min || bytes > bounds.max) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is out of range (${formatByteSize(bounds.min)} to ${formatByteSize(bounds.max)})` });
      return z.NEVER;
    }
    return bytes;
  }).meta({ unit: 'size', min: bounds.min, max: bounds.max });
}
