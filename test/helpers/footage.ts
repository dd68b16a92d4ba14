import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { footageDir as footageDirIn } from '../../agent/field/demo/footage.js';

/** Where scripts/fetch-footage.sh puts the real footage (pinned Debian packages). */
export function footageDir(): string {
  return footageDirIn(process.env);
}

/** Path of one footage file, e.g. footage('opencv/vtest.avi'); fails clearly when not fetched. */
export function footage(relative: string): string {
  const path = join(footageDir(), relative);
  if (!existsSync(path)) {
    throw new Error(`footage ${relative} is missing at ${path}: run scripts/fetch-footage.sh`);
  }
  return path;
}
