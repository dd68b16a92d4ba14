/**
 * `npx tsx scripts/eval/trace-video.ts --video ID-PREFIX [--set DIR] [--config FILE] [--floor SCORE]`
 *
 * One dev-set video, second by second, as `npm run eval -- --videos-only` runs it (same config, 1
 * frame/s): each detector call (the motion regions it was asked about, or `whole` for a whole-frame
 * search) with every box from `--floor` (default 0.2) up, `*` marking the ones the camera's filter
 * (threshold, zones, masks) passes on; the events stage's decisions (objects recorded, look-alike
 * comparisons, objects seen often enough that ended without ever being confident enough); then the `new` events
 * and the video's hand-timed visits (`scripts/devset/manifest.json` says who each is). What it
 * prints is for reading: it is how docs/devset.md's account of `atrium` can be checked.
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import type { Box } from '../../agent/edge/types.js';
import { evalDetector } from './detectors.js';
import { defaultEvalConfig, runVideo, type DetectCall } from './events.js';
import { DEFAULT_DEVSET_DIR, loadDevSet } from './sets.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    video: { type: 'string' },
    config: { type: 'string' },
    floor: { type: 'string', default: '0.2' },
  },
});

const floor = Number(values.floor);
if (!(floor >= 0 && floor <= 1)) throw new Error(`--floor must be a number from 0 to 1, not "${values.floor}"`);
if (values.video === undefined || values.video === '') throw new Error('--video ID-PREFIX is required (e.g. --video atrium)');
const prefix = values.video;
const set = await loadDevSet(values.set);
const matching = set.videos.filter((v) => v.id.startsWith(prefix));
const video = matching[0];
if (video === undefined) throw new Error(`no video of ${set.name} starts with "${prefix}"; there are ${set.videos.map((v) => v.id).join(', ')}`);
if (matching.length > 1) throw new Error(`"${prefix}" names ${matching.length} videos: ${matching.map((v) => v.id).join(', ')}`);

const config: Config = values.config === undefined ? defaultEvalConfig() : await loadConfig(values.config);
const detector = await evalDetector(config.detector);
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const boxText = (b: Readonly<Box>) => `[${b.map(r3).join(',')}]`;
const out = (line: string) => process.stdout.write(`${line}\n`);

const onDetect = ({ t, regions, detections, kept }: DetectCall) => {
  const shown = detections
    .filter((d) => d.score >= floor)
    .sort((a, b) => b.score - a.score)
    .map((d) => `${d.label} ${r3(d.score)}${kept.includes(d) ? '*' : ''} ${boxText(d.box)}`);
  const asked = regions === undefined || regions.length === 0 ? 'whole' : `${regions.length} regions ${regions.map(boxText).join(' ')}`;
  out(`t=${t} detect (${asked}) -> ${shown.length === 0 ? 'nothing' : shown.join(', ')}`);
};

// The events stage's debug and info lines, without pino's bookkeeping.
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      const { level: _level, time: _time, pid: _pid, hostname: _host, module, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      if (module === 'events') out(`    events: ${String(msg)} ${JSON.stringify(rest)}`);
    }
    done();
  },
});

out(`${video.id} (${set.name}${set.manifestSha256 === undefined ? '' : `, manifest ${set.manifestSha256.slice(0, 8)}…`}), ${values.config ?? 'the eval\'s default config'}`);
const run = await runVideo(video.path, config, config.detector, detector, {
  logger: pino({ level: 'debug' }, sink),
  onDetect,
  maxSeconds: video.annotatedUntil === undefined ? undefined : Math.ceil(video.annotatedUntil),
});
detector.dispose();
out('');
for (const e of run.events) out(`event new ${e.label} at t=${e.t}${e.score === undefined ? '' : ` score ${r3(e.score)}`}${e.box === undefined ? '' : ` ${boxText(e.box)}`}`);
for (const v of video.visits) out(`visit ${v.label} ${v.start}-${v.end} s`);
