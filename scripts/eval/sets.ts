/**
 * The labelled sets `npm run eval` reads: a dev set directory with `manifest.json` (images with
 * hand counts, videos with hand-timed visits), or `debian`, the small presence-labelled set built
 * from the pinned Debian footage (scripts/fetch-footage.sh).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { z } from 'zod';
import type { Label } from '../../agent/edge/types.js';
import { footageDir } from '../../test/helpers/footage.js';
import type { Visit } from './scoring.js';

// EVAL_CACHE: where the eval scripts keep what they build and cache (`$XDG_CACHE_HOME/minwang`, else `~/.cache/minwang`).
export { DEFAULT_DEVSET_DIR, MINWANG_CACHE as EVAL_CACHE } from '../devset/manifest.js';

export interface EvalImage {
  id: string;
  tags: string[];
  truth: Record<Label, number | undefined>;
  present: Record<Label, boolean>;
  load(): Promise<Buffer>;
}

export interface EvalVideo {
  id: string;
  path: string;
  tags: string[];
  visits: Visit[];
  /** Seconds of the video that are labelled (all when undefined): only those are run. */
  annotatedUntil?: number | undefined;
}

export interface EvalSet {
  name: string;
  /** Which state of the set was scored: the manifest's sha256 (the set grows; numbers name theirs). */
  manifestSha256?: string;
  images: EvalImage[];
  videos: EvalVideo[];
}

const count = z.int().min(0).max(10_000);
/** Visit labels as people write them; every two-wheeler is an `ebike` to the agent. */
const visitLabel = z.enum(['person', 'ebike', 'two-wheeler', 'twoWheeler', 'bicycle', 'motorcycle', 'scooter'])
  .transform((l): Label => (l === 'person' ? 'person' : 'ebike'));

const item = z.looseObject({
  id: z.string().min(1).max(200),
  file: z.string().min(1).max(1000),
  kind: z.enum(['image', 'video']),
  persons: count.optional(),
  twoWheelers: count.optional(),
  tags: z.array(z.string().max(100)).max(50).default([]),
  visits: z.array(z.looseObject({ start: z.number().min(0), end: z.number().min(0), label: visitLabel })
    .refine((v) => v.end >= v.start, 'a visit ends after it starts')).optional(),
  annotatedUntil: z.number().positive().optional().describe('visits are timed up to this second only'),
});

const manifestSchema = z.looseObject({ items: z.array(item).max(100_000) });

/** Reads `<dir>/manifest.json`; files must stay inside `dir`. */
export async function loadDevSet(dir: string): Promise<EvalSet> {
  const path = join(dir, 'manifest.json');
  const text = await readFile(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new Error(`no dev set in ${dir} (${path} is missing): build it with \`npx tsx scripts/devset/build.ts --mirror DIR\` (docs/devset.md), or name another with --set DIR`);
  });
  const parsed = manifestSchema.safeParse(JSON.parse(text.toString('utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const root = resolve(dir);
  const inside = (file: string) => {
    const full = resolve(root, file);
    if (!full.startsWith(root + sep)) throw new Error(`${path}: file ${file} lies outside ${root}`);
    return full;
  };
  const images: EvalImage[] = [];
  const videos: EvalVideo[] = [];
  for (const it of parsed.data.items) {
    const file = inside(it.file);
    if (it.kind === 'video') {
      if (it.visits !== undefined) videos.push({ id: it.id, path: file, tags: it.tags, visits: it.visits, annotatedUntil: it.annotatedUntil });
      continue;
    }
    if (it.persons === undefined || it.twoWheelers === undefined) continue;
    const truth = { person: it.persons, ebike: it.twoWheelers };
    images.push({ id: it.id, tags: it.tags, truth, present: { person: truth.person > 0, ebike: truth.ebike > 0 }, load: () => readFile(file) });
  }
  return { name: root, manifestSha256: createHash('sha256').update(text).digest('hex'), images, videos };
}

interface Source {
  file: string;
  frame?: number;
}

interface DebianImage extends Source {
  mosaic?: { grid: number; cells: Source[] };
  degrade?: { scale: number; quality: number };
  person: boolean;
  ebike: boolean;
}

/** The 131 Debian-footage images, presence-labelled (no counts); vtest.avi has no timed visits. */
export async function loadDebianSet(): Promise<EvalSet> {
  const labels = JSON.parse(await readFile(new URL('./debian.labels.json', import.meta.url), 'utf8')) as { images: DebianImage[] };
  const images = labels.images.map((image): EvalImage => ({
    id: debianName(image),
    tags: [image.mosaic === undefined ? 'plain' : 'mosaic'],
    truth: { person: undefined, ebike: undefined },
    present: { person: image.person, ebike: image.ebike },
    load: () => loadDebianImage(image),
  }));
  return { name: 'debian', images, videos: [] };
}

function debianName(image: DebianImage): string {
  if (image.mosaic !== undefined) return `mosaic${image.mosaic.grid}(${image.mosaic.cells.map(sourceName).join(',')})`;
  const base = sourceName(image);
  return image.degrade === undefined ? base : `${base}@${image.degrade.scale}q${image.degrade.quality}`;
}

async function loadDebianImage(image: DebianImage): Promise<Buffer> {
  if (image.mosaic !== undefined) return loadMosaic(image.mosaic.grid, image.mosaic.cells);
  const original = await loadOriginal(image);
  if (image.degrade === undefined) return original;
  const meta = await sharp(original).metadata();
  return sharp(original).resize(Math.round(meta.width * image.degrade.scale)).jpeg({ quality: image.degrade.quality }).toBuffer();
}

/** One real image among negatives in a grid, so its objects are as small as a wide camera sees them. */
async function loadMosaic(grid: number, cells: Source[]): Promise<Buffer> {
  const cellW = 1920 / grid;
  const cellH = 1440 / grid;
  const tiles = await Promise.all(cells.map(async (cell, i) => ({
    input: await sharp(await loadOriginal(cell)).resize(cellW, cellH, { fit: 'cover' }).toBuffer(),
    left: (i % grid) * cellW,
    top: Math.floor(i / grid) * cellH,
  })));
  return sharp({ create: { width: 1920, height: 1440, channels: 3, background: '#000' } }).composite(tiles).jpeg({ quality: 80 }).toBuffer();
}

async function loadOriginal(image: Source): Promise<Buffer> {
  const path = join(footageDir(), image.file);
  if (image.frame === undefined) return readFile(path);
  const { stdout } = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', path, '-vf', `select=eq(n\\,${image.frame})`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  if (stdout.length === 0) throw new Error(`${sourceName(image)}: ffmpeg gave no frame (is the video that long?)`);
  return stdout;
}

function sourceName(source: Source): string {
  return source.frame === undefined ? source.file : `${source.file}#${source.frame}`;
}
