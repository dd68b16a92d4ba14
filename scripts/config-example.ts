/**
 * Writes config/minwang.example.yaml from the config schema (`npm run config:example`).
 * With --check it writes nothing and exits 1 when the file differs from what the schema renders.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../agent/config/schema.js';
import { renderConfigExample } from '../agent/config/example.js';

const EXAMPLE_FILE = fileURLToPath(new URL('../config/minwang.example.yaml', import.meta.url));

async function main(args: string[]): Promise<number> {
  const text = renderConfigExample(configSchema);
  if (args.includes('--check')) {
    const current = await readFile(EXAMPLE_FILE, 'utf8').catch(() => '');
    if (current === text) return 0;
    console.error(`${EXAMPLE_FILE} differs from the config schema; run: npm run config:example`);
    return 1;
  }
  await writeFile(EXAMPLE_FILE, text);
  console.log(`wrote ${EXAMPLE_FILE}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
