import { spawn } from 'node:child_process';
import { readFile, writeFile, access, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { DataDir } from '../../../../agent/host/state/data-dir.js';
import { realIdentifyProcess, type ProcessIdentity } from '../../../../agent/host/state/process-identity.js';
import { tempDir } from '../../../helpers/tmp.js';

const BOOT = 'boot-a';

function dataDir(dir: string, pid: number, alive: number[]) {
  const identify = (p: number): ProcessIdentity | undefined => (alive.includes(p) ? { bootId: BOOT, startTicks: String(p), startedAtMs: 0 } : undefined);
  return new DataDir({ dir, fs: realFileSystem, logger: silentLogger(), pid, identify });
}

/** A live process that is not a minwang agent, as after a reboot another program gets the old pid. */
async function unrelatedProcess(): Promise<{ pid: number; kill: () => void }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return { pid: child.pid ?? 0, kill: () => child.kill() };
}

describe('data dir', () => {
  it('creates the dir, holds a lock while running and releases it on stop', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const owner = dataDir(dir, 100, [100]);
    await owner.start();
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`100 ${BOOT} 100\n`);
    await expect(dataDir(dir, 200, [100, 200]).start()).rejects.toThrow(/in use by another minwang agent \(pid 100\)/);
    await owner.stop();
    await expect(access(join(dir, 'agent.lock'))).rejects.toThrow();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'agent.lock'), '4242\n');
    const agent = dataDir(dir, 300, [300]);
    await agent.start();
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe(`300 ${BOOT} 300\n`);
    await agent.stop();
  });

  it('starts when the lock names a live unrelated process (a power cut, then the pid was reused)', async () => {
    const other = await unrelatedProcess();
    try {
      const dir = await tempDir();
      const lock = join(dir, 'agent.lock');
      // A lock from before the reboot: only a pid (older versions), written before that process started.
      await writeFile(lock, `${other.pid}\n`);
      await utimes(lock, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
      const agent = new DataDir({ dir, fs: realFileSystem, logger: silentLogger(), pid: process.pid, identify: realIdentifyProcess });
      await agent.start();
      await agent.stop();
      // A lock in today's format from another boot, naming the same live pid.
      await writeFile(lock, `${other.pid} 00000000-0000-0000-0000-000000000000 1\n`);
      await agent.start();
      await agent.stop();
    } finally {
      other.kill();
    }
  });

  it('refuses while the process named in the lock is the one that wrote it', async () => {
    const other = await unrelatedProcess();
    try {
      const dir = await tempDir();
      const me = realIdentifyProcess(other.pid);
      await writeFile(join(dir, 'agent.lock'), `${other.pid} ${me?.bootId} ${me?.startTicks}\n`);
      const agent = new DataDir({ dir, fs: realFileSystem, logger: silentLogger(), pid: process.pid, identify: realIdentifyProcess });
      await expect(agent.start()).rejects.toThrow(`in use by another minwang agent (pid ${other.pid})`);
    } finally {
      other.kill();
    }
  });

  it('says which dir is unusable', async () => {
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    await expect(dataDir(join(file, 'data'), 1, [1]).start()).rejects.toThrow(/cannot create data dir .*not-a-dir\/data: ENOTDIR/);
  });
});
