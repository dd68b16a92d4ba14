#!/usr/bin/env node
// The package's bin: runs the compiled agent (npm ci builds it through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('minwang: the agent is not built; run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
await import(entry.href);
