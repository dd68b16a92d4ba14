import { z } from 'zod';
import './meta.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `500ms`, `1s`, `1.5m`, `2h`, `1d` (and combinations like `1m30s`) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const parts = text.trim().match(/\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)/g);
  if (parts === null || parts.join('').replace(/\s/g, '') !== text.trim().replace(/\s/g, '')) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = DURATION_RE.exec(part);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNITS_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Renders milliseconds the way a config file would say them: 30s, 2m, 1h, 7d, 250ms, 0s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export interface DurationBounds {
  min: number;
  max: number;
}

/**
 * A config duration: a string such as `1s`, validated and turned into milliseconds.
 * Bare numbers are refused because "5" could mean seconds or milliseconds.
 */
export function duration(bounds: DurationBounds) {
  return z.unknown().transform((value, ctx): number => {
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration (examples: 1s, 500ms)` });
      return z.NEVER;
    }
    if (ms < bounds.min || ms > bounds.max) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is out of range (${formatDuration(bounds.min)} to ${formatDuration(bounds.max)})`,
      });
      return z.NEVER;
    }
    return ms;
  }).meta({ unit: 'duration', min: bounds.min, max: bounds.max });
}
