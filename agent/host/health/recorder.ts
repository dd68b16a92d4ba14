import { join } from 'node:path';
import type { FileSystem } from '../../ports/fs.js';

export interface RecorderScan {
  files: number;
  totalBytes: number;
  /** Newest modification time of any file or directory, ms since the epoch (0 when empty). */
  newestMtimeMs: number;
  /** True when the walk stopped at its entry limit. */
  truncated: boolean;
}

const MAX_DEPTH = 6;

/**
 * Walks a recorder's storage (bounded in depth and entries so a huge archive cannot stall the
 * agent) and sums what it finds. Recorders write into dated folders, so new files also bump
 * their folder's mtime.
 */
export async function scanRecorder(fs: FileSystem, root: string, maxEntries = 50_000): Promise<RecorderScan> {
  const scan: RecorderScan = { files: 0, totalBytes: 0, newestMtimeMs: 0, truncated: false };
  let budget = maxEntries;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (budget-- <= 0) {
        scan.truncated = true;
        return;
      }
      const path = join(dir, entry.name);
      const stat = await fs.stat(path).catch(() => undefined); // a file rotated away mid-walk
      if (stat === undefined) continue;
      scan.newestMtimeMs = Math.max(scan.newestMtimeMs, stat.mtimeMs);
      if (entry.isDirectory() && depth < MAX_DEPTH) await walk(path, depth + 1);
      else if (entry.isFile()) {
        scan.files++;
        scan.totalBytes += stat.size;
      }
    }
  };
  await walk(root, 0);
  return scan;
}

/**
 * Decides "recording stalled" from successive scans: growth is a newer mtime or more bytes.
 * Time is monotonic, so a wall-clock jump at boot neither raises nor hides a stall.
 */
export class StallDetector {
  private last: RecorderScan | undefined;
  private lastGrowthMono = 0;

  constructor(private readonly stalledAfterMs: number) {}

  /** Feeds one scan; returns how long the recorder has not grown (ms). */
  observe(scan: RecorderScan, nowMono: number): number {
    const grew = this.last === undefined || scan.newestMtimeMs > this.last.newestMtimeMs || scan.totalBytes > this.last.totalBytes;
    if (grew) this.lastGrowthMono = nowMono;
    this.last = scan;
    return nowMono - this.lastGrowthMono;
  }

  isStalled(quietMs: number): boolean {
    return quietMs >= this.stalledAfterMs;
  }
}
