import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { defaultEvalConfig } from './eval/events.js';
import { evalDetector, scorelessFilter } from './eval/detectors.js';
import { loadDevSet } from './eval/sets.js';
import { filterDetections } from '../agent/edge/detection/filters.js';
const model = process.argv[2]!;
const config = defaultEvalConfig();
const dc = { ...config.detector, model };
const set = await loadDevSet(join(homedir(), '.cache/minwang/devset'));
const det = await evalDetector(dc);
const filter = scorelessFilter(dc);
const out: unknown[] = [];
for (const [i, image] of set.images.entries()) {
  try {
    const r = await det.detect(await image.load());
    out.push({ id: image.id, truth: image.truth, present: image.present, w: r.width, h: r.height, dets: filterDetections(r.detections, filter) });
  } catch (e) { out.push({ id: image.id, error: String(e) }); }
  if (i % 20 === 0) process.stderr.write(`${model} ${i}/${set.images.length}\n`);
}
writeFileSync(`/tmp/ens/${model}.json`, JSON.stringify(out));
det.dispose();
