/**
 * `npx tsx scripts/eval/look-alike.ts [--set DIR] [--video ID-PREFIX,...] [--look-alike X] [--out DIR]`
 *
 * Every look-alike comparison (`events.lookAlike`, docs/cameras.md) the agent makes on the dev set's
 * videos, run as `npm run eval -- --videos-only` runs them (the eval's default config, 1 frame/s):
 * an object missed on the previous detected frame against each detection near it now. Prints one JSON
 * object: per video, the number of comparisons, how many `--look-alike` refused (default 0.000001:
 * compare everything, refuse nearly nothing, so the tracking is the check-off tracking) and the sorted
 * similarities. With `--out`, writes one contact sheet per video (PNG, pairs sorted by similarity: the
 * missed object where it was last found, the detection now, the similarity and the second) to judge
 * by eye which pairs are the same object.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { OverlayOptions } from 'sharp';
import { z } from 'zod';
import { evalDetector } from './detectors.js';
import { defaultEvalConfig, EVAL_CAMERA, runVideo } from './events.js';
import { DEFAULT_DEVSET_DIR, loadDevSet } from './sets.js';
import { caption, crop, writeSheet } from './sheets.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    video: { type: 'string' },
    'look-alike': { type: 'string', default: '0.000001' },
    out: { type: 'string' },
  },
});

const lookAlike = Number(values['look-alike']);
if (!(lookAlike >= 0 && lookAlike <= 1)) throw new Error(`--look-alike must be a number from 0 to 1, not "${values['look-alike']}"`);

const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const comparison = z.object({ alike: z.number(), different: z.boolean(), box, mono: z.number(), lastBox: box, lastMono: z.number() });
type Comparison = z.infer<typeof comparison>;

const set = await loadDevSet(values.set);
const prefixes = values.video?.split(',') ?? [''];
const videos = set.videos.filter((v) => prefixes.some((p) => v.id.startsWith(p)));
if (videos.length === 0) throw new Error(`no video of ${set.name} starts with ${prefixes.join(' or ')}`);
const config = defaultEvalConfig();
config.cameras = config.cameras.map((c) => (c.id === EVAL_CAMERA ? { ...c, events: { ...c.events, lookAlike } } : c));
const detector = await evalDetector(config.detector);
if (values.out !== undefined) await mkdir(values.out, { recursive: true });

const report: Record<string, { comparisons: number; refused: number; similarities: number[]; pairs: Comparison[]; sheet?: string }> = {};
for (const video of videos) {
  process.stderr.write(`look-alike: ${video.id}...\n`);
  const seen: Comparison[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('compared with a detection near it')) continue;
        const parsed = comparison.safeParse(JSON.parse(line));
        if (parsed.success) seen.push(parsed.data);
      }
      done();
    },
  });
  const run = await runVideo(video.path, config, config.detector, detector, { logger: pino({ level: 'debug' }, sink) });
  seen.sort((a, b) => a.alike - b.alike);
  const sheet = values.out === undefined || seen.length === 0 ? undefined : join(values.out, `${video.id}.png`);
  if (sheet !== undefined) await contactSheet(run.jpegs, seen, sheet);
  report[video.id] = {
    comparisons: seen.length,
    refused: seen.filter((s) => s.different).length,
    similarities: seen.map((s) => s.alike),
    // In the contact sheet's order: what `look-alike-labels.json` labels by hand (`look-pairs.ts`).
    pairs: seen.map(({ alike, different, box, mono, lastBox, lastMono }) => ({ alike, different, box, mono, lastBox, lastMono })),
    ...(sheet === undefined ? {} : { sheet }),
  };
}
detector.dispose();
process.stdout.write(`${JSON.stringify({ set: set.name, manifestSha256: set.manifestSha256, lookAlike, videos: report }, null, 2)}\n`);

/** Pairs side by side, 8 to a row: the missed object on the frame it was last found on, the detection now. */
async function contactSheet(frames: readonly Buffer[], pairs: Comparison[], file: string): Promise<void> {
  const W = 60;
  const H = 140;
  const perRow = 8;
  const cellW = 2 * W + 20;
  const cellH = H + 24;
  const frameAt = (mono: number) => frames[Math.round(mono / 1000)];
  const layers: OverlayOptions[] = [];
  for (const [k, pair] of pairs.entries()) {
    const left = (k % perRow) * cellW;
    const top = Math.floor(k / perRow) * cellH;
    const then = frameAt(pair.lastMono);
    const now = frameAt(pair.mono);
    if (then === undefined || now === undefined) continue;
    layers.push({ input: await crop(then, pair.lastBox, W, H), left, top });
    layers.push({ input: await crop(now, pair.box, W, H), left: left + W + 2, top });
    layers.push(caption(`${pair.alike.toFixed(2)} t${Math.round(pair.mono / 1000)}`, 2 * W, left, top + H + 2));
  }
  await writeSheet(file, perRow * cellW, Math.ceil(pairs.length / perRow) * cellH, layers);
}
