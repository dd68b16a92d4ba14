import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDevSet } from '../../../scripts/eval/sets.js';
import { tempDir } from '../../helpers/tmp.js';

async function devSet(items: unknown[]): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ about: 'test', items }));
  await writeFile(join(dir, 'a.jpg'), 'jpeg bytes');
  return dir;
}

describe('eval dev set manifest', () => {
  it('reads counted images and timed videos, mapping two-wheeler words to ebike, and names its state', async () => {
    const dir = await devSet([
      { id: 'a', file: 'a.jpg', kind: 'image', persons: 2, twoWheelers: 0, tags: ['night'], license: 'MIT' },
      { id: 'uncounted', file: 'a.jpg', kind: 'image' },
      { id: 'v', file: 'v.avi', kind: 'video', annotatedUntil: 12, visits: [{ start: 1, end: 4, label: 'scooter', note: 'x' }] },
    ]);
    const set = await loadDevSet(dir);
    expect(set.images.map((i) => [i.id, i.truth, i.present])).toEqual([['a', { person: 2, ebike: 0 }, { person: true, ebike: false }]]);
    expect(await set.images[0]?.load()).toEqual(Buffer.from('jpeg bytes'));
    expect(set.videos).toMatchObject([{ id: 'v', annotatedUntil: 12, visits: [{ start: 1, end: 4, label: 'ebike' }] }]);
    expect(set.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses files outside the set directory and names bad entries by path', async () => {
    await expect(loadDevSet(await devSet([{ id: 'x', file: '../../etc/passwd', kind: 'image', persons: 0, twoWheelers: 0 }]))).rejects.toThrow(/lies outside/);
    await expect(loadDevSet(await devSet([{ id: 'x', file: 'a.jpg', kind: 'image', persons: -1, twoWheelers: 0 }]))).rejects.toThrow(/items\.0\.persons/);
    await expect(loadDevSet(await devSet([{ id: 'v', file: 'v.avi', kind: 'video', visits: [{ start: 5, end: 2, label: 'person' }] }]))).rejects.toThrow(/ends after it starts/);
  });

  it('says how to build the set when there is none', async () => {
    await expect(loadDevSet(join(await tempDir(), 'none'))).rejects.toThrow(/no dev set in .*none.*scripts\/devset\/build\.ts/);
  });
});
