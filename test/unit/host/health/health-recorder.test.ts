import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { HealthMonitor } from '../../../../agent/host/health/monitor.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem, type FileSystem } from '../../../../agent/ports/fs.js';
import { realProcesses } from '../../../../agent/ports/process.js';
import { tempDir } from '../../../helpers/tmp.js';

const MIN = 60_000;

function setup(dataDir: string, recorder: string, fs: FileSystem = realFileSystem) {
  const config = parseConfigText(
    `host: { id: h }\nmqtt: { url: mqtt://127.0.0.1 }\nstorage: { dataDir: ${dataDir} }\nhealth:\n  probeInterval: 1m\n  recorder: { path: ${recorder}, stalledAfter: 10m }\n`,
    'c.yaml',
  );
  const link = new MemoryStationLink();
  const clock = new FakeClock();
  const rounds: number[] = [];
  const monitor = new HealthMonitor({ config, link, fs, clock, processes: realProcesses, logger: silentLogger(), onRound: () => rounds.push(clock.monotonicMs()) });
  /** Moves fake time minute by minute, letting each round's real file I/O finish. */
  const minutes = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await clock.advance(MIN);
      await monitor.whenIdle();
    }
  };
  return { monitor, link, clock, rounds, minutes };
}

describe('recorder stall', () => {
  it('raises recording_stalled when the recorder stops growing and clears when it grows again', async () => {
    const root = await tempDir();
    const recorder = join(root, 'rec');
    await mkdir(join(recorder, '2026-01-01'), { recursive: true });
    await writeFile(join(recorder, '2026-01-01', 'a.mp4'), Buffer.alloc(1000));
    const { monitor, link, clock, rounds, minutes } = setup(root, recorder);
    await monitor.start();
    await monitor.whenIdle();
    await minutes(5);
    await writeFile(join(recorder, '2026-01-01', 'b.mp4'), Buffer.alloc(1000));
    await minutes(10); // the round at minute 6 saw it grow; minute 15 is 9 min later: not yet
    expect(link.health).toEqual([]);
    await minutes(1);
    expect(link.health.map((h) => `${h.kind}:${h.state}`)).toEqual(['recording_stalled:raised']);
    expect(link.health[0]).toMatchObject({ subject: recorder, severity: 'critical', details: { quietS: 600 } });
    expect(monitor.snapshot().recorder).toMatchObject({ files: 2, totalBytes: 2000, stalled: true });

    // The recorder rotates: an old file is replaced by a newer one of the same size.
    await writeFile(join(recorder, '2026-01-01', 'a.mp4'), Buffer.alloc(1000));
    await utimes(join(recorder, '2026-01-01', 'a.mp4'), new Date(), new Date(Date.now() + 5000));
    await minutes(1);
    expect(link.health.map((h) => `${h.kind}:${h.state}`)).toEqual(['recording_stalled:raised', 'recording_stalled:cleared']);
    expect(rounds.length).toBe(18);
    await monitor.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps counting quiet time while the recorder directory is missing', async () => {
    const root = await tempDir();
    const { monitor, link, minutes } = setup(root, join(root, 'not-mounted'));
    await monitor.start();
    await monitor.whenIdle();
    await minutes(10);
    expect(link.health.map((h) => h.kind)).toEqual(['recording_stalled']);
    expect(link.health[0]?.details).toMatchObject({ error: 'ENOENT' });
    await monitor.stop();
  });
});

describe('write probe faults', () => {
  it('reports an I/O error as disk_readonly with its code, and never throws', async () => {
    const root = await tempDir();
    let failing = true;
    const fs: FileSystem = {
      ...realFileSystem,
      open: ((...args: Parameters<FileSystem['open']>) =>
        failing ? Promise.reject(Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' })) : realFileSystem.open(...args)),
    };
    const { monitor, link } = setup(root, root, fs);
    await monitor.round();
    expect(link.health).toMatchObject([{ kind: 'disk_readonly', state: 'raised', subject: root, details: { code: 'EIO' } }]);
    expect(monitor.snapshot().disks[0]).toMatchObject({ probe: 'EIO', readonly: true });
    failing = false;
    await monitor.round();
    expect(link.health.map((h) => h.state)).toEqual(['raised', 'cleared']);
  });

  it('keeps running when the link cannot queue an alert (its own disk is full)', async () => {
    const root = await tempDir();
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const fs: FileSystem = { ...realFileSystem, open: (() => Promise.reject(full)) };
    const { monitor, link } = setup(root, root, fs);
    let attempts = 0;
    link.publishHealth = () => {
      attempts++;
      return Promise.reject(full);
    };
    await expect(monitor.round()).resolves.toBeUndefined();
    await monitor.round();
    expect(attempts).toBe(1);
    expect(monitor.snapshot().alerts).toMatchObject([{ kind: 'disk_low', subject: root, severity: 'critical' }]);
  });
});
