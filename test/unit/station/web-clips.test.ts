import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { ClipShelf } from '../../../agent/station/web/clips.js';
import { parseRange } from '../../../agent/station/web/media.js';
import { FakeClock } from '../../fakes/clock.js';
import { tempDir } from '../../helpers/tmp.js';

describe('HTTP Range for clips', () => {
  it('reads one range, open-ended and suffix ranges, and clamps the end to the file', () => {
    expect(parseRange(undefined, 1000)).toBeNull();
    expect(parseRange('bytes=0-99', 1000)).toEqual([0, 99]);
    expect(parseRange('bytes=500-', 1000)).toEqual([500, 999]);
    expect(parseRange('bytes=-100', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=-5000', 1000)).toEqual([0, 999]);
    expect(parseRange('bytes=900-5000', 1000)).toEqual([900, 999]);
  });

  it('answers the whole file to what it does not serve, and unsatisfiable to ranges outside the file', () => {
    expect(parseRange('bytes=0-1,5-9', 1000)).toBeNull();
    expect(parseRange('items=0-9', 1000)).toBeNull();
    expect(parseRange('bytes=-', 1000)).toBeNull();
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=9-3', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
  });
});

describe('the web console\'s clip budget', () => {
  async function shelfIn(budgetBytes: number): Promise<{ shelf: ClipShelf; put: (host: string, name: string, bytes: number, ageS: number) => Promise<string> }> {
    const dir = await tempDir();
    const shelf = new ClipShelf({ broker: { url: 'mqtt://127.0.0.1:1' }, connect: () => { throw new Error('not connected in this test'); }, dir, budgetBytes, clock: new FakeClock(), logger: silentLogger() });
    const put = async (host: string, name: string, bytes: number, ageS: number) => {
      const path = join(dir, host, 'clips', name);
      await mkdir(join(dir, host, 'clips'), { recursive: true });
      await writeFile(path, Buffer.alloc(bytes));
      const at = new Date(Date.now() - ageS * 1000);
      await utimes(path, at, at);
      return path;
    };
    return { shelf, put };
  }

  it('deletes the oldest finished clips, across hosts, until a new one fits', async () => {
    const { shelf, put } = await shelfIn(1000);
    const oldest = await put('a', 'e1.mp4', 300, 300);
    const older = await put('b', 'e2.mp4', 300, 200);
    const newest = await put('a', 'e3.mp4', 300, 100);
    await shelf.makeRoom(400);
    expect([existsSync(oldest), existsSync(older), existsSync(newest)]).toEqual([false, true, true]);
    await shelf.makeRoom(800);
    expect([existsSync(older), existsSync(newest)]).toEqual([false, false]);
  });

  it('refuses a clip larger than the budget, and one that only fits by deleting clips still being fetched', async () => {
    const { shelf, put } = await shelfIn(1000);
    await expect(shelf.makeRoom(1001)).rejects.toThrow(/over the console's clip budget of 1000/);
    const partial = await put('a', 'e1.mp4.part', 800, 10);
    await expect(shelf.makeRoom(300)).rejects.toThrow(/taken by clips being fetched/);
    expect(existsSync(partial)).toBe(true);
  });
});
