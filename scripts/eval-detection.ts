/**
 * Image-level accuracy of the detector on labelled real footage (scripts/eval-detection.labels.json):
 * for each label, recall and precision of "is there at least one?" at several score thresholds.
 *
 *   npx tsx scripts/eval-detection.ts [--grids 2,3] [--overlap 0.25] [--min-side 0] [--fit contain|fill]
 *                                      [--backend wasm] [--only mosaic|plain] [--json]
 * Footage comes from scripts/fetch-footage.sh. Progress goes to stderr.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { footageDir } from '../test/helpers/footage.js';
import { TfDetector } from '../agent/detection/tf-detector.js';
import { loadInstalledModel, DEFAULT_MODEL_ID } from '../agent/models/store.js';
import type { BackendChoice } from '../agent/detection/backend.js';
import { ALERT_LABELS } from '../agent/models/manifest.js';
import type { Label } from '../agent/pipeline/types.js';

interface Source {
  file: string;
  frame?: number;
}

interface LabelledImage {
  file: string;
  mosaic?: { grid: number; cells: Source[] };
  frame?: number;
  degrade?: { scale: number; quality: number };
  person: boolean;
  ebike: boolean;
}

const { values } = parseArgs({
  options: {
    grids: { type: 'string', default: '' },
    overlap: { type: 'string', default: '0.25' },
    'min-side': { type: 'string', default: '0' },
    fit: { type: 'string', default: 'contain' },
    backend: { type: 'string', default: 'wasm' },
    thresholds: { type: 'string', default: '0.2,0.25,0.3,0.35,0.4,0.45,0.5' },
    json: { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
});

const labels = JSON.parse(await readFile(new URL('./eval-detection.labels.json', import.meta.url), 'utf8')) as { images: LabelledImage[] };
const grids = values.grids === '' ? [] : values.grids.split(',').map(Number);
const detector = await TfDetector.create({
  model: await loadInstalledModel(DEFAULT_MODEL_ID),
  backend: values.backend as BackendChoice,
  tiling: { grids, overlap: Number(values.overlap), minImageSide: Number(values['min-side']) },
  minScore: 0.15,
  fit: values.fit === 'fill' ? 'fill' : 'contain',
});

const rows: { image: LabelledImage; best: Record<Label, number>; ms: number }[] = [];
const selected = labels.images.filter((i) => values.only === '' || (values.only === 'mosaic') === (i.mosaic !== undefined));
for (const image of selected) {
  const result = await detector.detect(await loadImage(image));
  const best = { person: 0, ebike: 0 };
  for (const d of result.detections) best[d.label] = Math.max(best[d.label], d.score);
  rows.push({ image, best, ms: result.ms });
  process.stderr.write(`${name(image)}: person ${best.person.toFixed(2)} ebike ${best.ebike.toFixed(2)} (${result.ms} ms)\n`);
}

const thresholds = values.thresholds.split(',').map(Number);
const report = {
  settings: { grids, overlap: Number(values.overlap), minImageSide: Number(values['min-side']), fit: values.fit, backend: detector.backend },
  images: rows.length,
  meanMs: Math.round(rows.reduce((s, r) => s + r.ms, 0) / rows.length),
  labels: Object.fromEntries(ALERT_LABELS.map((label) => [label, thresholds.map((t) => ({ threshold: t, ...score(label, t) }))])),
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  process.stdout.write(`settings ${JSON.stringify(report.settings)}  images ${report.images}  mean ${report.meanMs} ms/image\n`);
  for (const label of ALERT_LABELS) {
    for (const r of report.labels[label] ?? []) {
      process.stdout.write(`${label.padEnd(6)} score>=${r.threshold.toFixed(2)}  recall ${r.recall.toFixed(2)}  precision ${r.precision.toFixed(2)}  (tp ${r.tp} fp ${r.fp} fn ${r.fn})  missed: ${r.missed.join(' ') || '-'}  false: ${r.falsePositives.join(' ') || '-'}\n`);
    }
  }
}
detector.dispose();

function score(label: Label, threshold: number) {
  const tp = rows.filter((r) => r.image[label] && r.best[label] >= threshold);
  const fn = rows.filter((r) => r.image[label] && r.best[label] < threshold);
  const fp = rows.filter((r) => !r.image[label] && r.best[label] >= threshold);
  return {
    recall: tp.length / Math.max(1, tp.length + fn.length),
    precision: tp.length + fp.length === 0 ? 1 : tp.length / (tp.length + fp.length),
    tp: tp.length,
    fp: fp.length,
    fn: fn.length,
    missed: fn.map((r) => name(r.image)),
    falsePositives: fp.map((r) => name(r.image)),
  };
}

function name(image: LabelledImage): string {
  if (image.mosaic !== undefined) return `mosaic${image.mosaic.grid}(${image.mosaic.cells.filter((c) => c.file.startsWith('opencv/vtest') || c.file.includes('motorcycle')).map((c) => sourceName(c)).join(',')})`;
  const base = image.frame === undefined ? image.file : `${image.file}#${image.frame}`;
  return image.degrade === undefined ? base : `${base}@${image.degrade.scale}q${image.degrade.quality}`;
}

async function loadImage(image: LabelledImage): Promise<Buffer> {
  if (image.mosaic !== undefined) return loadMosaic(image.mosaic.grid, image.mosaic.cells);
  const original = await loadOriginal(image);
  if (image.degrade === undefined) return original;
  const meta = await sharp(original).metadata();
  return sharp(original).resize(Math.round(meta.width * image.degrade.scale)).jpeg({ quality: image.degrade.quality }).toBuffer();
}

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
