import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/fetch-footage.sh puts the real footage (pinned Debian packages). */
export function footageDir(): string {
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return process.env['MINWANG_FOOTAGE_DIR'] ?? join(cache, 'minwang', 'footage');
}

/** Path of one footage file, e.g. footage('opencv/vtest.avi'); fails clearly when not fetched. */
export function footage(relative: string): string {
  const path = join(footageDir(), relative);
  if (!existsSync(path)) {
    throw new Error(`footage ${relative} is missing at ${path}: run scripts/fetch-footage.sh`);
  }
  return path;
}
