/**
 * `npx tsx scripts/eval/event-sheet.ts --out DIR [--set DIR] [--video ID-PREFIX,...] [--config FILE]`
 *
 * What each `new` event of the dev set's videos shows, run as `npm run eval -- --videos-only` runs
 * them (the eval's default config, or `--config`, 1 frame/s): one contact sheet per video with an
 * event (`DIR/<video>.png`), each event's box cut from its frame, captioned with its number, label,
 * second and score. The eval pairs events with hand-timed visits by time alone, so an event on a cone
 * or a sign while someone is in view counts as a found visit there; this is where to see it. Prints
 * one JSON object: per video, the events (second, label, score, box) in the sheet's order.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { OverlayOptions } from 'sharp';
import { loadConfig } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import { evalDetector } from './detectors.js';
import { defaultEvalConfig, runVideo } from './events.js';
import type { RaisedEvent } from './scoring.js';
import { DEFAULT_DEVSET_DIR, loadDevSet } from './sets.js';
import { caption, crop, writeSheet } from './sheets.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    video: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
  },
});
if (values.out === undefined || values.out === '') throw new Error('--out DIR is required: where the contact sheets go');
const outDir = values.out;

const set = await loadDevSet(values.set);
const prefixes = values.video?.split(',') ?? [''];
const videos = set.videos.filter((v) => prefixes.some((p) => v.id.startsWith(p)));
if (videos.length === 0) throw new Error(`no video of ${set.name} starts with ${prefixes.join(' or ')}`);
const config: Config = values.config === undefined ? defaultEvalConfig() : await loadConfig(values.config);
const detector = await evalDetector(config.detector);
await mkdir(outDir, { recursive: true });

const W = 60;
const H = 140;
const PER_ROW = 12;
const report: Record<string, { events: RaisedEvent[]; sheet?: string }> = {};
for (const video of videos) {
  process.stderr.write(`event-sheet: ${video.id}...\n`);
  const run = await runVideo(video.path, config, config.detector, detector);
  const layers: OverlayOptions[] = [];
  for (const [k, event] of run.events.entries()) {
    const jpeg = run.jpegs[Math.round(event.t)];
    if (jpeg === undefined || event.box === undefined) continue;
    const left = (k % PER_ROW) * (W + 12);
    const top = Math.floor(k / PER_ROW) * (H + 40);
    layers.push({ input: await crop(jpeg, event.box, W, H), left, top });
    layers.push(caption(`${k} ${event.label === 'person' ? 'P' : 'E'} t${event.t}`, W + 12, left, top + H + 1));
    layers.push(caption(event.score === undefined ? '' : event.score.toFixed(2), W + 12, left, top + H + 19));
  }
  const sheet = run.events.length === 0 ? undefined : join(outDir, `${video.id}.png`);
  if (sheet !== undefined) await writeSheet(sheet, PER_ROW * (W + 12), Math.ceil(run.events.length / PER_ROW) * (H + 40), layers);
  report[video.id] = { events: run.events, ...(sheet === undefined ? {} : { sheet }) };
}
detector.dispose();
process.stdout.write(`${JSON.stringify({ set: set.name, manifestSha256: set.manifestSha256, config: values.config ?? 'eval defaults', videos: report }, null, 2)}\n`);
