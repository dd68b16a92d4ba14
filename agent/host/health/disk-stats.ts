import type { FileSystem } from '../../ports/fs.js';

export interface DiskStats {
  path: string;
  totalBytes: number;
  /** Bytes an unprivileged writer can still use (statfs bavail). */
  freeBytes: number;
  freePercent: number;
  totalInodes: number;
  freeInodes: number;
  /** 100 on file systems without an inode limit (tmpfs with nr_inodes=0, btrfs). */
  freeInodesPercent: number;
}

export async function readDiskStats(fs: FileSystem, path: string): Promise<DiskStats> {
  const s = await fs.statfs(path);
  const totalBytes = s.blocks * s.bsize;
  const freeBytes = s.bavail * s.bsize;
  return {
    path,
    totalBytes,
    freeBytes,
    freePercent: percent(freeBytes, totalBytes),
    totalInodes: s.files,
    freeInodes: s.ffree,
    freeInodesPercent: percent(s.ffree, s.files),
  };
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : 100;
}
