import { join } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { FileSystem } from '../../ports/fs.js';

export interface RetentionConfig {
  /** Bytes the swept directories may use together (the outbox is bounded by outbox.maxBytes). */
  budget: number;
  maxAge: number;
  dirs: readonly string[];
}

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SweepResult {
  removed: number;
  freedBytes: number;
  keptBytes: number;
}

/**
 * Keeps the agent's own files within budget: first everything older than `maxAge`, then the
 * oldest files until the rest fits. Only regular files directly inside the listed data-dir
 * subdirectories are touched; the outbox is never among them.
 */
export async function sweepRetention(deps: { fs: FileSystem; dataDir: string; config: RetentionConfig; nowMs: number; logger: Logger }): Promise<SweepResult> {
  const { fs, dataDir, config, nowMs, logger } = deps;
  const entries = (await Promise.all(config.dirs.map((dir) => listFiles(fs, join(dataDir, dir))))).flat()
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  let keptBytes = entries.reduce((sum, e) => sum + e.size, 0);
  const limit = config.budget;
  const result: SweepResult = { removed: 0, freedBytes: 0, keptBytes };
  for (const entry of entries) {
    if (nowMs - entry.mtimeMs <= config.maxAge && keptBytes <= limit) break;
    try {
      await fs.rm(entry.path, { force: true });
      keptBytes -= entry.size;
      result.removed++;
      result.freedBytes += entry.size;
    } catch (err) {
      logger.warn({ err, path: entry.path }, 'retention could not remove a file');
    }
  }
  result.keptBytes = keptBytes;
  if (result.removed > 0) logger.info(result, 'retention sweep removed old files');
  return result;
}

async function listFiles(fs: FileSystem, dir: string): Promise<Entry[]> {
  const names = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: Entry[] = [];
  for (const dirent of names) {
    if (!dirent.isFile()) continue;
    const path = join(dir, dirent.name);
    const stat = await fs.stat(path).catch(() => undefined);
    if (stat !== undefined) files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs });
  }
  return files;
}
