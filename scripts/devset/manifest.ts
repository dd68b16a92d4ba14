/**
 * The dev set's manifest (scripts/devset/manifest.json): its schema and a loader. Shared by the
 * builder (build.ts), the eval harness and the manifest's own test. See docs/devset.md.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** The project's cache directory: `minwang` under `$XDG_CACHE_HOME`, else under `~/.cache`. */
export const MINWANG_CACHE = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'minwang');

/**
 * Where the builder puts the set and the eval scripts look for it, unless told otherwise:
 * `$MINWANG_DEVSET_DIR`, else `devset` in `MINWANG_CACHE`.
 */
export const DEFAULT_DEVSET_DIR = process.env['MINWANG_DEVSET_DIR'] ?? join(MINWANG_CACHE, 'devset');

const relativePath = z
  .string()
  .min(1)
  .max(300)
  .refine((p) => !p.startsWith('/') && !p.startsWith('-') && !p.split('/').includes('..'), 'must be a relative path inside the set');

const repoOrigin = z.object({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  path: relativePath,
});

const packageOrigin = z.object({
  package: z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/),
  version: z.string().regex(/^[\w.+:~-]+$/),
  path: relativePath,
});

/** One person (or one two-wheeler) in view of a video from `start` to `end` seconds. */
const visit = z
  .object({
    start: z.number().min(0),
    end: z.number().min(0),
    label: z.enum(['person', 'two-wheeler']),
    /** Still in view when the annotation stops (`annotatedUntil`). */
    open: z.boolean().optional(),
    /** Names the person (or two-wheeler) when they visit more than once; visits without it are one each. */
    who: z.string().min(1).optional(),
    note: z.string().optional(),
  })
  .refine((v) => v.end >= v.start, 'a visit cannot end before it starts');

const common = {
  id: z.string().regex(/^[a-z0-9]+-[0-9a-f]{12}$/),
  file: relativePath,
  origin: z.union([repoOrigin, packageOrigin]),
  license: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Hand-counted people a human can see (at least ~10 px tall). */
  persons: z.number().int().min(0),
  /** Hand-counted bicycles, e-bikes, scooters and motorcycles. */
  twoWheelers: z.number().int().min(0),
  tags: z.array(z.string().min(1)),
  countSource: z.string().min(1),
  note: z.string().optional(),
};

const imageItem = z.object({ ...common, kind: z.literal('image') });

const videoItem = z
  .object({
    ...common,
    kind: z.literal('video'),
    visits: z.array(visit),
    /** Visits are annotated from 0 s up to here; later events cannot be scored. */
    annotatedUntil: z.number().positive(),
    durationSeconds: z.number().positive(),
  })
  .refine((v) => v.annotatedUntil <= v.durationSeconds + 0.01, 'annotatedUntil is past the end of the video')
  .refine((v) => v.visits.every((x) => x.end <= v.annotatedUntil + 0.01), 'a visit ends after annotatedUntil');

export const devsetManifest = z.object({
  version: z.literal(1),
  items: z.array(z.discriminatedUnion('kind', [imageItem, videoItem])).min(1),
});

export type DevsetManifest = z.infer<typeof devsetManifest>;
export type DevsetItem = DevsetManifest['items'][number];
export type DevsetImage = Extract<DevsetItem, { kind: 'image' }>;
export type DevsetVideo = Extract<DevsetItem, { kind: 'video' }>;
export type DevsetOrigin = DevsetItem['origin'];

/** How many different people (or two-wheelers) a video's visits describe (a `who` seen twice is one). */
export function distinctPeople(visits: DevsetVideo['visits'], label: DevsetVideo['visits'][number]['label'] = 'person'): number {
  const mine = visits.filter((v) => v.label === label);
  const named = new Set(mine.flatMap((v) => (v.who === undefined ? [] : [v.who])));
  return named.size + mine.filter((v) => v.who === undefined).length;
}

export const MANIFEST_URL = new URL('./manifest.json', import.meta.url);

/** Reads and validates a manifest; throws an Error naming the file and the first problems. */
export async function loadDevsetManifest(file: URL | string = MANIFEST_URL): Promise<{ raw: string; manifest: DevsetManifest }> {
  const raw = await readFile(file, 'utf8');
  const parsed = devsetManifest.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    const where = typeof file === 'string' ? file : file.pathname;
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`${where} is not a valid dev set manifest: ${problems.join('; ')}`);
  }
  return { raw, manifest: parsed.data };
}
