import type { DiskConfig } from '../../config/sections/health.js';
import type { FileSystem } from '../../ports/fs.js';
import type { AlertBoard } from './alerts.js';
import { readDiskStats, type DiskStats } from './disk-stats.js';
import { probeWritable, type ProbeResult } from './write-probe.js';
import { definedProps } from '../../core/defined-props.js';

export interface DiskReport extends Partial<DiskStats> {
  path: string;
  /** Last write-probe outcome: `ok`, or the errno code (EROFS, EIO, ENOSPC...). */
  probe: string | null;
  low: boolean;
  readonly: boolean;
  error?: string;
}

/** Codes that mean "cannot write here" rather than "full". */
const UNWRITABLE = new Set(['EROFS', 'EIO', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR']);

/**
 * One watched disk: statfs for space and inodes, and the write probe. disk_low is raised below a
 * threshold and cleared only `hysteresisPercent` points above it, so a disk hovering at the
 * line does not flap; ENOSPC from the probe counts as low whatever statfs says (reserved blocks).
 */
export class DiskWatch {
  private probeCount = 0;
  last: DiskReport;

  constructor(
    readonly config: DiskConfig,
    private readonly deps: { fs: FileSystem; alerts: AlertBoard; hysteresisPercent: number },
  ) {
    this.last = { path: config.path, probe: null, low: false, readonly: false };
  }

  async check(): Promise<DiskReport> {
    const { fs } = this.deps;
    const stats = await readDiskStats(fs, this.config.path).catch((err: NodeJS.ErrnoException) => err);
    const probe = this.config.writeProbe ? await probeWritable(fs, this.config.path, String(++this.probeCount)) : undefined;
    if (stats instanceof Error) {
      this.last = { path: this.config.path, probe: probeLabel(probe), low: false, readonly: true, error: stats.code ?? stats.message };
      this.updateReadonly({ ok: false, code: stats.code ?? 'EUNKNOWN', message: stats.message });
      return this.last;
    }
    const readonly = this.updateReadonly(probe);
    const low = this.updateLow(stats, probe);
    this.last = { ...stats, probe: probeLabel(probe), low, readonly };
    return this.last;
  }

  private updateReadonly(probe: ProbeResult | undefined): boolean {
    const { alerts } = this.deps;
    const path = this.config.path;
    if (probe !== undefined && !probe.ok && UNWRITABLE.has(probe.code)) {
      alerts.raise('disk_readonly', path, {
        severity: 'critical',
        message: `${path} cannot be written (${probe.code}): ${probe.code === 'EROFS' ? 'the file system was remounted read-only' : probe.message}`,
        details: { code: probe.code },
      });
      return true;
    }
    if (probe === undefined || probe.ok) alerts.clear('disk_readonly', path, `${path} is writable again`);
    return alerts.isRaised('disk_readonly', path);
  }

  private updateLow(stats: DiskStats, probe: ProbeResult | undefined): boolean {
    const { alerts, hysteresisPercent: margin } = this.deps;
    const { path, minFreePercent, minFreeBytes, minFreeInodesPercent } = this.config;
    const full = probe !== undefined && !probe.ok && probe.code === 'ENOSPC';
    const below = (extra: number) =>
      full ||
      stats.freePercent < minFreePercent + extra ||
      (minFreeBytes !== undefined && stats.freeBytes < minFreeBytes * (1 + extra / 100)) ||
      stats.freeInodesPercent < minFreeInodesPercent + extra;
    const details = {
      freeBytes: stats.freeBytes, freePercent: stats.freePercent, freeInodesPercent: stats.freeInodesPercent,
      minFreePercent, minFreeInodesPercent, ...definedProps({ minFreeBytes }), ...(full ? { code: 'ENOSPC' } : {}),
    };
    if (below(0)) {
      const severity = full || stats.freePercent < minFreePercent / 2 ? 'critical' : 'warning';
      const message = full
        ? `${path} is full: a write failed with ENOSPC`
        : `${path} is low on space: ${stats.freePercent}% free (${stats.freeInodesPercent}% of inodes)`;
      alerts.raise('disk_low', path, { severity, message, details });
    } else if (!below(margin)) {
      alerts.clear('disk_low', path, `${path} has space again: ${stats.freePercent}% free`, details);
    }
    return alerts.isRaised('disk_low', path);
  }
}

function probeLabel(probe: ProbeResult | undefined): string | null {
  if (probe === undefined) return null;
  return probe.ok ? 'ok' : probe.code;
}
