import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { HealthMonitor } from '../../../../agent/host/health/monitor.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realProcesses } from '../../../../agent/ports/process.js';
import { tempDir } from '../../../helpers/tmp.js';

const mounted: string[] = [];

/** A real 1 MiB tmpfs: statfs, ENOSPC and read-only remounts are the kernel's, not simulated. */
async function smallDisk(): Promise<string> {
  const dir = join(await tempDir(), 'disk');
  await mkdir(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=64', 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

afterEach(() => {
  while (mounted.length > 0) execFileSync('umount', [mounted.pop() as string]);
});

function monitorFor(disk: string, link: MemoryStationLink) {
  const config = parseConfigText(`host: { id: h }\nmqtt: { url: mqtt://127.0.0.1 }\nstorage: { dataDir: ${disk} }\nhealth:\n  disks:\n    - { path: ${disk}, minFreePercent: 50 }\n`, 'c.yaml');
  return new HealthMonitor({ config, link, fs: realFileSystem, clock: new FakeClock(), processes: realProcesses, logger: silentLogger() });
}

const kinds = (link: MemoryStationLink) => link.health.map((h) => `${h.kind}:${h.state}`);

describe('disk health on a real tmpfs', () => {
  it('raises disk_low below the threshold and clears it only past the hysteresis margin', async () => {
    const disk = await smallDisk();
    const link = new MemoryStationLink();
    const monitor = monitorFor(disk, link);
    await monitor.round();
    expect(link.health).toEqual([]);
    expect(monitor.snapshot().disks[0]).toMatchObject({ path: disk, totalBytes: 1024 * 1024, probe: 'ok', low: false });

    await writeFile(join(disk, 'fill'), Buffer.alloc(600 * 1024));
    await monitor.round();
    expect(kinds(link)).toEqual(['disk_low:raised']);
    expect(link.health[0]).toMatchObject({ subject: disk, severity: 'warning' });

    // 49% used → 51% free: above the threshold (50) but inside the 2-point margin: still raised.
    await writeFile(join(disk, 'fill'), Buffer.alloc(Math.round(0.49 * 1024 * 1024)));
    await monitor.round();
    expect(kinds(link)).toEqual(['disk_low:raised']);

    await rm(join(disk, 'fill'));
    await monitor.round();
    expect(kinds(link)).toEqual(['disk_low:raised', 'disk_low:cleared']);
  });

  it('reports a full disk (ENOSPC) from the write probe and keeps running', async () => {
    const disk = await smallDisk();
    const link = new MemoryStationLink();
    const monitor = monitorFor(disk, link);
    await expect(writeFile(join(disk, 'fill'), Buffer.alloc(2 * 1024 * 1024))).rejects.toMatchObject({ code: 'ENOSPC' });
    await monitor.round();
    expect(monitor.snapshot().disks[0]).toMatchObject({ probe: 'ENOSPC', low: true, freeBytes: 0 });
    expect(link.health).toHaveLength(1);
    expect(link.health[0]).toMatchObject({ kind: 'disk_low', state: 'raised', severity: 'critical', details: { code: 'ENOSPC' } });
    expect(link.health[0]?.message).toMatch(/full: a write failed with ENOSPC/);
    await rm(join(disk, 'fill'));
    await monitor.round();
    expect(kinds(link)).toEqual(['disk_low:raised', 'disk_low:cleared']);
  });

  it('counts running out of inodes as low', async () => {
    const disk = await smallDisk();
    const link = new MemoryStationLink();
    const monitor = monitorFor(disk, link);
    for (let i = 0; i < 62; i++) await writeFile(join(disk, `f${i}`), '').catch(() => undefined);
    await monitor.round();
    expect(link.health[0]).toMatchObject({ kind: 'disk_low', state: 'raised' });
    expect(monitor.snapshot().disks[0]?.freeInodesPercent).toBeLessThan(5);
  });

  it('raises disk_readonly when the file system is remounted read-only, and clears it after rw', async () => {
    const disk = await smallDisk();
    const link = new MemoryStationLink();
    const monitor = monitorFor(disk, link);
    await monitor.round();
    execFileSync('mount', ['-o', 'remount,ro', disk]);
    await monitor.round();
    await monitor.round(); // a condition that holds is not re-sent
    expect(kinds(link)).toEqual(['disk_readonly:raised']);
    expect(link.health[0]).toMatchObject({ subject: disk, severity: 'critical', details: { code: 'EROFS' } });
    expect(link.health[0]?.message).toMatch(/remounted read-only/);
    execFileSync('mount', ['-o', 'remount,rw', disk]);
    await monitor.round();
    expect(kinds(link)).toEqual(['disk_readonly:raised', 'disk_readonly:cleared']);
  });
});
