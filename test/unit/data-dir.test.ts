import { readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/logger.js';
import { realFileSystem } from '../../agent/ports/fs.js';
import { DataDir } from '../../agent/state/data-dir.js';
import { tempDir } from '../helpers/tmp.js';

function dataDir(dir: string, pid: number, alive: number[]) {
  return new DataDir({ dir, fs: realFileSystem, logger: silentLogger(), pid, pidAlive: (p) => alive.includes(p) });
}

describe('data dir', () => {
  it('creates the dir, holds a lock while running and releases it on stop', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const owner = dataDir(dir, 100, [100]);
    await owner.start();
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe('100\n');
    await expect(dataDir(dir, 200, [100, 200]).start()).rejects.toThrow(/in use by another minwang agent \(pid 100\)/);
    await owner.stop();
    await expect(access(join(dir, 'agent.lock'))).rejects.toThrow();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'agent.lock'), '4242\n');
    const agent = dataDir(dir, 300, [300]);
    await agent.start();
    expect(await readFile(join(dir, 'agent.lock'), 'utf8')).toBe('300\n');
    await agent.stop();
  });

  it('says which dir is unusable', async () => {
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    await expect(dataDir(join(file, 'data'), 1, [1]).start()).rejects.toThrow(/cannot create data dir .*not-a-dir\/data: ENOTDIR/);
  });
});
