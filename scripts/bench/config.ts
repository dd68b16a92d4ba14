/** Config loading cost: what `run` and `check` pay before anything starts. */
import { readFile } from 'node:fs/promises';
import { parseConfigText } from '../../agent/config/load.js';

export async function run(): Promise<Record<string, unknown>> {
  const text = await readFile(new URL('../../config/minwang.example.yaml', import.meta.url), 'utf8');
  const n = 500;
  const started = performance.now();
  for (let i = 0; i < n; i++) parseConfigText(text, 'minwang.example.yaml');
  return { parsesPerSecond: Math.round(n / ((performance.now() - started) / 1000)) };
}
