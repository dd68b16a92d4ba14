/**
 * `npm run bench [-- NAME...]`: runs the benchmarks in scripts/bench/ and prints one JSON
 * object { "<name>": { ...figures } } on stdout. Progress goes to stderr.
 * Each benchmark is a module exporting `run(): Promise<Record<string, unknown>>`.
 * Machines here are noisy: compare ratios measured within one run, not absolute times.
 * `--name=value` arguments are left to the benchmarks (e.g. `soak --duration=10m`). Benchmarks in
 * ON_REQUEST run only when named: the soak takes hours, the station load 20 minutes, clips 6, clips-agent 1.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';

interface BenchModule {
  run(): Promise<Record<string, unknown>>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const ON_REQUEST = ['soak', 'station-load', 'clips', 'clips-agent'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = (await readdir(here))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => basename(f, '.ts'))
  .filter((n) => (wanted.length === 0 ? !ON_REQUEST.includes(n) : wanted.includes(n)))
  .sort();

const unknown = wanted.filter((w) => !names.includes(w));
if (unknown.length > 0) {
  process.stderr.write(`bench: no benchmark named ${unknown.join(', ')}\n`);
  process.exit(2);
}

const results: Record<string, unknown> = {};
for (const name of names) {
  process.stderr.write(`bench: ${name}...\n`);
  const started = performance.now();
  const mod = (await import(`./${name}.ts`)) as BenchModule;
  results[name] = { ...(await mod.run()), benchSeconds: Math.round((performance.now() - started) / 100) / 10 };
}
process.stdout.write(`${JSON.stringify({ machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, ...results }, null, 2)}\n`);
