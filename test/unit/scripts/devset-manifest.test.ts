import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctPeople, loadDevsetManifest } from '../../../scripts/devset/manifest.js';
import type { DevsetManifest } from '../../../scripts/devset/manifest.js';

// The dev set's bytes live outside git (scripts/devset/build.ts); this checks only the committed manifest.
describe('dev set manifest', () => {
  let manifest: DevsetManifest;
  beforeAll(async () => {
    ({ manifest } = await loadDevsetManifest());
  });

  const images = (): DevsetManifest['items'] => manifest.items.filter((i) => i.kind === 'image');

  it('names every item, file and byte sequence once', () => {
    for (const key of ['id', 'file', 'sha256'] as const) {
      const values = manifest.items.map((i) => i[key]);
      expect(new Set(values).size, key).toBe(values.length);
    }
  });

  it('derives ids and file names from the sha256, so a changed file cannot keep its name', () => {
    for (const it of manifest.items) {
      expect(it.id.endsWith(`-${it.sha256.slice(0, 12)}`), it.id).toBe(true);
      expect(it.file.includes(it.sha256.slice(0, 16)), it.file).toBe(true);
    }
  });

  it('holds at least 300 images: 100 with two-wheelers and 100 negatives', () => {
    expect(images().length).toBeGreaterThanOrEqual(300);
    expect(images().filter((i) => i.twoWheelers > 0).length).toBeGreaterThanOrEqual(100);
    expect(images().filter((i) => i.persons === 0 && i.twoWheelers === 0).length).toBeGreaterThanOrEqual(100);
  });

  it('tags exactly the images without person or two-wheeler as negative', () => {
    for (const it of images()) {
      expect(it.tags.includes('negative'), it.id).toBe(it.persons === 0 && it.twoWheelers === 0);
    }
  });

  it('has three videos with timed person visits and one without any person', () => {
    const videos = manifest.items.filter((i) => i.kind === 'video');
    expect(videos.filter((v) => v.visits.length > 0).length).toBeGreaterThanOrEqual(3);
    expect(videos.some((v) => v.visits.length === 0 && v.persons === 0)).toBe(true);
    for (const v of videos) expect(distinctPeople(v.visits), v.id).toBe(v.persons);
  });

  it('times every counted two-wheeler of a video as a visit of its own', () => {
    for (const v of manifest.items.filter((i) => i.kind === 'video')) {
      expect(distinctPeople(v.visits, 'two-wheeler'), v.id).toBe(v.twoWheelers);
    }
  });
});

describe('dev set manifest validation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'devset-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const video = {
    id: 'clip-0123456789ab',
    file: 'videos/clip-0123456789abcdef.mp4',
    kind: 'video',
    origin: { repo: 'owner/name', commit: 'a'.repeat(40), path: 'clip.mp4' },
    license: 'MIT',
    sha256: `0123456789abcdef${'0'.repeat(48)}`,
    persons: 1,
    twoWheelers: 0,
    tags: [],
    countSource: 'eye',
    visits: [{ start: 1, end: 4, label: 'person' }],
    annotatedUntil: 10,
    durationSeconds: 10,
  };

  async function load(items: unknown[]): Promise<DevsetManifest> {
    const file = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify({ version: 1, items }));
    return (await loadDevsetManifest(file)).manifest;
  }

  it('accepts a well-formed video item', async () => {
    expect((await load([video])).items).toHaveLength(1);
  });

  it('rejects a file path that climbs out of the set', async () => {
    await expect(load([{ ...video, file: '../etc/passwd' }])).rejects.toThrow(/file: must be a relative path/);
  });

  it('rejects a visit that ends before it starts or after the annotated span', async () => {
    await expect(load([{ ...video, visits: [{ start: 5, end: 2, label: 'person' }] }])).rejects.toThrow(/cannot end before it starts/);
    await expect(load([{ ...video, annotatedUntil: 3 }])).rejects.toThrow(/ends after annotatedUntil/);
  });

  it('counts a person who comes back once', async () => {
    const visits = [
      { start: 1, end: 2, label: 'person', who: 'A' },
      { start: 5, end: 6, label: 'person', who: 'A' },
      { start: 5, end: 9, label: 'person' },
    ];
    const [item] = (await load([{ ...video, persons: 2, visits }])).items;
    expect(item?.kind === 'video' ? distinctPeople(item.visits) : -1).toBe(2);
  });

  it('rejects an origin without a pinned commit', async () => {
    await expect(load([{ ...video, origin: { repo: 'owner/name', commit: 'main', path: 'clip.mp4' } }])).rejects.toThrow(/not a valid dev set manifest/);
  });
});
