/** The hand-labelled look-alike pairs (`look-alike-labels.json`), read and checked. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const unit = z.number().min(0).max(1);
const box = z.tuple([unit, unit, unit, unit]).refine((b) => b[0] < b[2] && b[1] < b[3], 'a box is [x1, y1, x2, y2] with x1 < x2 and y1 < y2');
const second = z.number().int().min(0).max(3_600_000).refine((ms) => ms % 1000 === 0, 'the eval samples 1 frame/s: a whole second in ms');

/** One comparison: the missed object where it was last found (`lastMono`, `lastBox`), the detection near it now. */
const labelledPair = z.strictObject({ lastMono: second, lastBox: box, mono: second, box, alike: unit, same: z.boolean() })
  .refine((p) => p.lastMono < p.mono, 'the missed object was last found before the detection it is compared with');

export const lookLabels = z.strictObject({
  about: z.string().min(1),
  /** The dev set manifest the pairs were made on (the detector's boxes depend on its videos). */
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  videos: z.record(z.string().min(1), z.array(labelledPair).min(1)),
});
export type LookLabels = z.infer<typeof lookLabels>;

export const LOOK_LABELS_URL = new URL('./look-alike-labels.json', import.meta.url);

export async function loadLookLabels(file: URL | string = LOOK_LABELS_URL): Promise<LookLabels> {
  const parsed = lookLabels.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`${String(file)} is not a valid look-alike label file: ${problems.join('; ')}`);
  }
  return parsed.data;
}
