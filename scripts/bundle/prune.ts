/**
 * Drops what no program ever loads at run time from a production node_modules: source maps,
 * TypeScript declarations and @types packages. (tfjs alone ships ~150 MB of source maps.)
 * Nothing else is touched: which .js variant a package loads depends on its package.json.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const DEAD_FILE = /\.(js|mjs|cjs)\.map$|\.d\.(ts|mts|cts)$|\.d\.ts\.map$/;

/** Returns the number of bytes removed. */
export async function pruneForRuntime(nodeModules: string): Promise<number> {
  let bytes = 0;
  const remove = async (path: string): Promise<void> => {
    bytes += (await stat(path)).size;
    await rm(path);
  };
  for (const e of await readdir(nodeModules, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && DEAD_FILE.test(e.name)) await remove(join(e.parentPath, e.name));
  }
  const types = join(nodeModules, '@types');
  for (const e of await readdir(types, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  await rm(types, { recursive: true, force: true });
  return bytes;
}
