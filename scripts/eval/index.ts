/**
 * `npm run eval [-- --set DIR|debian] [--model ID,...] [--setting NAME,...] [--limit N] [--config FILE]
 *                   [--videos-only|--images-only] [--seconds N] [--tag TAG,...] [--subset TAG,...]
 *                   [--target-person P] [--target-ebike P] [--busy-plan [--no-mosaic|--no-pairs] [--whole-frame tiles|pairs|frame]]`
 *
 * A bench, not a test: runs the configured detector as `minwang detect` and the agent run it over a
 * labelled set and prints one JSON object on stdout (progress on stderr):
 * - image level, per model and setting: count-based precision/recall per label (TP = min(found,
 *   truth), FP = found beyond truth, FN = missed) and presence precision/recall, at the configured
 *   thresholds; the curve over thresholds; and thresholds chosen on a tuning half of the set
 *   (sha256 of the id) with their precision/recall on the held-out half;
 * - event level, on the videos: frames at 1 fps through motion → detection → EventsStage on a
 *   FakeClock; visits found, duplicates and false events;
 * - the CPU cost beside each: detector ms per image, per sampled video frame and per detected frame.
 * `--tag` keeps only the images with any of the tags; `--subset` also scores the images with any of
 * these tags (e.g. night,dark) at the thresholds tuned on the whole tuning half, per half.
 * `--busy-plan` runs the videos' motion frames on the plan a host uses while it drops frames
 * (`detector.whenBusy`: merged crops, small ones packed into mosaic cells, larger ones in pairs, half an
 * input each), to show what that plan costs in events; `--no-mosaic` leaves the mosaic out (merged crops
 * only), `--no-pairs` the pairs. Frames run one at a time, so a pair's crop is placed in half an input with
 * the other half black, as it would be beside another camera's frame. Whole-frame searches run as
 * `detector.whenBusy.wholeFrame` says, or `--whole-frame` (tiles: as when not busy; pairs: full frame and
 * tiles in halves; frame: the full frame alone).
 * The set defaults to `DEFAULT_DEVSET_DIR` ($MINWANG_DEVSET_DIR, else minwang/devset under $XDG_CACHE_HOME
 * or ~/.cache; manifest.json); `--set debian` is the Debian footage set.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';
import { WHOLE_FRAME_SEARCHES } from '../../agent/config/sections/detector.js';
import type { WholeFrameSearch } from '../../agent/edge/types.js';
import { cameraFilter } from '../../agent/edge/detection/filters.js';
import { runImages } from './images.js';
import { evalDetector, SETTINGS } from './detectors.js';
import { defaultEvalConfig, runVideo } from './events.js';
import { curve, CURVE_COLUMNS, DEFAULT_THRESHOLDS, isHoldout, LABELS, PROMPT_S, promptlyFound, scoreEventsByLabel, scoreLabel, selectThreshold, sumEventScores, type EventScore } from './scoring.js';
import { DEFAULT_DEVSET_DIR, loadDebianSet, loadDevSet, type EvalSet } from './sets.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: DEFAULT_DEVSET_DIR },
    model: { type: 'string' },
    setting: { type: 'string', default: 'configured' },
    limit: { type: 'string' },
    config: { type: 'string' },
    'images-only': { type: 'boolean', default: false },
    'videos-only': { type: 'boolean', default: false },
    seconds: { type: 'string' },
    'target-person': { type: 'string', default: '0.95' },
    'target-ebike': { type: 'string', default: '0.9' },
    tag: { type: 'string' },
    subset: { type: 'string' },
    'busy-plan': { type: 'boolean', default: false },
    'no-mosaic': { type: 'boolean', default: false },
    'no-pairs': { type: 'boolean', default: false },
    'whole-frame': { type: 'string' },
  },
});

const progress = (line: string) => process.stderr.write(`eval: ${line}\n`);
const config: Config = values.config === undefined ? defaultEvalConfig() : await loadConfig(values.config);
const set = await loadSet(values.set);
const limit = values.limit === undefined ? Number.POSITIVE_INFINITY : positive(values.limit, '--limit');
const anyTag = (list: string | undefined) => (tags: readonly string[]) => list === undefined || list.split(',').some((t) => tags.includes(t));
const images = values['videos-only'] ? [] : set.images.filter((i) => anyTag(values.tag)(i.tags)).slice(0, limit);
const inSubset = new Set(values.subset === undefined ? [] : images.filter((i) => anyTag(values.subset)(i.tags)).map((i) => i.id));
const videos = values['images-only'] ? [] : set.videos.slice(0, limit);
const models = (values.model ?? config.detector.model).split(',');
const settings = values.setting.split(',');
for (const s of settings) if (!(s in SETTINGS)) usage(`--setting ${s}: one of ${Object.keys(SETTINGS).join(', ')}`);
const targets = { person: Number(values['target-person']), ebike: Number(values['target-ebike']) };
const seconds = values.seconds === undefined ? undefined : positive(values.seconds, '--seconds');

progress(`${set.name}: ${images.length} images, ${videos.length} videos; models ${models.join(',')}; settings ${settings.join(',')}`);
const runs = [];
for (const model of models) {
  for (const setting of settings) {
    const detectorConfig = (SETTINGS[setting] as (d: Config['detector']) => Config['detector'])({ ...config.detector, model });
    const detector = await evalDetector(detectorConfig);
    try {
      runs.push({ model, setting, backend: detector.backend, tiling: detectorConfig.tiling, lowLight: detectorConfig.lowLight, ...(await imageLevel(detector, detectorConfig, setting)), ...(await eventLevel(detector, detectorConfig)) });
    } finally {
      detector.dispose();
    }
  }
}
const report = { set: set.name, manifestSha256: set.manifestSha256, images: images.length, videos: videos.length, loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100, runs };
// Indented, but each array of plain values (curve points, latencies) on one line.
process.stdout.write(`${JSON.stringify(report, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner: string) => `[${inner.replace(/\s+/g, ' ')}]`)}\n`);

async function imageLevel(detector: Awaited<ReturnType<typeof evalDetector>>, detectorConfig: Config['detector'], setting: string) {
  if (images.length === 0) return {};
  const run = await runImages(detector, detectorConfig, images, (line) => progress(`${detectorConfig.model}/${setting} ${line}`));
  const tune = run.scored.filter((s) => !isHoldout(s.id));
  const holdout = run.scored.filter((s) => isHoldout(s.id));
  const configured = Object.fromEntries(LABELS.map((label) => {
    const threshold = cameraFilter(detectorConfig).labels[label].minScore;
    // The whole set, and each half (as `tuned` splits it) at the configured threshold.
    return [label, { threshold, ...scoreLabel(run.scored, label, threshold), halves: { tune: scoreLabel(tune, label, threshold), holdout: scoreLabel(holdout, label, threshold) } }];
  }));
  const tunedBy = (level: 'count' | 'presence') => Object.fromEntries(LABELS.map((label) => [label, selectThreshold(tune, holdout, label, targets[label], DEFAULT_THRESHOLDS, level)]));
  const tuned = tunedBy('count');
  const split = { tune: tune.length, holdout: holdout.length };
  const part = run.scored.filter((s) => inSubset.has(s.id));
  const subset = values.subset === undefined ? undefined : {
    tags: values.subset,
    split: { tune: part.filter((s) => !isHoldout(s.id)).length, holdout: part.filter((s) => isHoldout(s.id)).length },
    inferencesPerImage: Math.round((part.reduce((sum, s) => sum + (run.inferencesById.get(s.id) ?? 0), 0) / Math.max(1, part.length)) * 100) / 100,
    ...Object.fromEntries(LABELS.map((label) => {
      const threshold = tuned[label]?.threshold ?? 0;
      const at = (subsetHalf: typeof part) => scoreLabel(subsetHalf, label, threshold).count;
      return [label, { threshold, tune: at(part.filter((s) => !isHoldout(s.id))), holdout: at(part.filter((s) => isHoldout(s.id))) }];
    })),
  };
  return {
    image: {
      images: run.scored.length,
      failed: run.failed,
      msPerImage: run.msPerImage,
      inferencesPerImage: run.inferencesPerImage,
      configured,
      tuned: { split, targets, ...tuned },
      // The same rule on presence (is there at least one?), which is how the defaults are chosen.
      tunedPresence: { split, targets, ...tunedBy('presence') },
      subset,
      curveColumns: CURVE_COLUMNS,
      curve: Object.fromEntries(LABELS.map((label) => [label, curve(run.scored, label, DEFAULT_THRESHOLDS)])),
    },
  };
}

/** `--whole-frame`, checked. */
function wholeFrameSearch(text: string | undefined): WholeFrameSearch | undefined {
  if (text === undefined) return undefined;
  if (!(WHOLE_FRAME_SEARCHES as readonly string[]).includes(text)) throw new Error(`--whole-frame: "${text}" is not one of ${WHOLE_FRAME_SEARCHES.join(', ')}`);
  return text as WholeFrameSearch;
}

/** Which plan the videos' motion frames ran on. */
function busyPlanName(detectorConfig: Config['detector']): string {
  if (!values['busy-plan']) return 'normal';
  if (values['no-mosaic'] || !detectorConfig.whenBusy.mosaic) return 'busy (merge only)';
  const tiles = `, whole-frame searches: ${wholeFrameSearch(values['whole-frame']) ?? detectorConfig.whenBusy.wholeFrame}`;
  return (values['no-pairs'] || !detectorConfig.whenBusy.pairs ? 'busy (mosaic' : `busy (mosaic, pairs at ${detectorConfig.whenBusy.pairShrink}`) + `${tiles})`;
}

async function eventLevel(detector: Awaited<ReturnType<typeof evalDetector>>, detectorConfig: Config['detector']) {
  if (videos.length === 0) return {};
  const perVideo = [];
  for (const video of videos) {
    progress(`${detectorConfig.model} video ${video.id}...`);
    const until = Math.min(seconds ?? Number.POSITIVE_INFINITY, video.annotatedUntil ?? Number.POSITIVE_INFINITY);
    const run = await runVideo(video.path, config, detectorConfig, detector, { maxSeconds: Number.isFinite(until) ? Math.ceil(until) : undefined, busyPlan: values['busy-plan'], noMosaic: values['no-mosaic'], noPairs: values['no-pairs'], wholeFrame: wholeFrameSearch(values['whole-frame']) });
    const visits = video.visits.filter((v) => v.start < until);
    const byLabel = scoreEventsByLabel(visits, run.events);
    // Events of a label only ever match visits of that label, so the video's score is the labels' sum.
    const score = sumEventScores([byLabel.person, byLabel.ebike]);
    const line = (s: EventScore) => `${s.found}/${s.visits} visits found (${promptlyFound(s)} within ${PROMPT_S} s), ${s.duplicates} duplicates, ${s.falseEvents} false`;
    progress(`${video.id}: person ${line(byLabel.person)}; e-bike ${line(byLabel.ebike)} (${run.frames} frames)`);
    perVideo.push({ id: video.id, frames: run.frames, detectedFrames: run.detectedFrames, inferences: run.inferences, packedInferences: run.packedInferences, msPerFrame: Math.round(run.detectMs / Math.max(1, run.frames)), ...score, foundWithin3S: promptlyFound(score), byLabel, events: run.events });
  }
  const total = sumEventScores(perVideo);
  const frames = perVideo.reduce((s, v) => s + v.frames, 0);
  const ms = perVideo.reduce((s, v) => s + v.msPerFrame * v.frames, 0);
  const detected = perVideo.reduce((s, v) => s + v.detectedFrames, 0);
  const inferences = perVideo.reduce((s, v) => s + v.inferences, 0);
  const packed = perVideo.reduce((s, v) => s + v.packedInferences, 0);
  const byLabel = { person: brief(sumEventScores(perVideo.map((v) => v.byLabel.person))), ebike: brief(sumEventScores(perVideo.map((v) => v.byLabel.ebike))) };
  return {
    events: {
      videos: perVideo.length,
      frames,
      msPerFrame: Math.round(ms / Math.max(1, frames)),
      plan: busyPlanName(detectorConfig),
      inferencesPerDetectedFrame: Math.round((inferences / Math.max(1, detected)) * 100) / 100,
      // Cells counted as the quarter input they cost when the pool packs several cameras' frames together.
      packedInferencesPerDetectedFrame: Math.round((packed / Math.max(1, detected)) * 100) / 100,
      ...brief(total),
      byLabel,
      perVideo,
    },
  };
}

/** Event totals, with the median latency and the promptly found count instead of every latency. */
function brief(s: EventScore) {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return { visits: s.visits, found: s.found, foundWithin3S: promptlyFound(s), duplicates: s.duplicates, falseEvents: s.falseEvents, latencyP50S: sorted[Math.floor(sorted.length / 2)] ?? null };
}

async function loadSet(where: string): Promise<EvalSet> {
  try {
    return where === 'debian' ? await loadDebianSet() : await loadDevSet(where);
  } catch (err) {
    return usage(`--set ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : usage(`${flag} must be a positive integer, not "${text}"`);
}

function usage(message: string): never {
  process.stderr.write(`eval: ${message}\n`);
  process.exit(2);
}
