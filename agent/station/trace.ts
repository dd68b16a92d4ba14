/**
 * Debug timestamps along one alert's path through a console (received → committed → notified →
 * read back → pushed), for the load bench (issue 17). Off unless MINWANG_STATION_TRACE names a file;
 * then lines `<epoch ms> <stage> <key>` are appended once a second, and `sse` lines carry the bytes
 * the console still holds for its pages (Node's write queue: what the browser has not taken yet).
 */
import { appendFileSync } from 'node:fs';

const FILE = process.env['MINWANG_STATION_TRACE'];
let lines: string[] = [];
let timer: NodeJS.Timeout | undefined;

/** Whether tracing is on (callers skip building keys when it is not). */
export const tracing = FILE !== undefined && FILE !== '';

export function trace(stage: string, key: string): void {
  if (!tracing) return;
  lines.push(`${Date.now()} ${stage} ${key}`);
  timer ??= setInterval(flushTrace, 1000).unref();
}

export function flushTrace(): void {
  if (!tracing || lines.length === 0) return;
  const text = lines.join('\n') + '\n';
  lines = [];
  appendFileSync(FILE as string, text);
}
