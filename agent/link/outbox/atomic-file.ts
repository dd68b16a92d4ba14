import { dirname, join, basename } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';

/**
 * Writes a file so that after a power cut it holds either the old or the new content, never a
 * mix: temp file, fsync, rename over the target, fsync the directory (so the rename itself is durable).
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: string | Buffer): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await fs.open(temp, 'w', 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path);
  await syncDir(fs, dirname(path));
}

/** Makes creations, renames and unlinks in a directory durable. */
export async function syncDir(fs: FileSystem, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
