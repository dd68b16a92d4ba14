import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';

export const PROBE_FILE = '.minwang-write-probe';

export type ProbeResult = { ok: true } | { ok: false; code: string; message: string };

/**
 * Writes a small file, syncs it, reads it back and deletes it: a read-only remount (EROFS),
 * a dying card (EIO) and a full disk (ENOSPC) all show up here before they hit real data.
 */
export async function probeWritable(fs: FileSystem, dir: string, token: string): Promise<ProbeResult> {
  const file = join(dir, PROBE_FILE);
  const content = `minwang write probe ${token}\n`;
  try {
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const back = await fs.readFile(file, 'utf8');
    if (back !== content) return { ok: false, code: 'EIO', message: 'read back different bytes than written' };
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return { ok: false, code, message: (err as Error).message };
  } finally {
    await fs.rm(file, { force: true }).catch(() => undefined);
  }
}
