import { z } from 'zod';
import { zoneName } from '../../link/contract/ids.js';
import { LABELS } from '../../link/contract/payloads.js';
import { polygonSchema } from './regions.js';

/**
 * The detector: which model, which TensorFlow.js backend, how many worker threads, where the model
 * looks (tiles), and per-label thresholds. Cameras may override thresholds in their `detect:` block.
 */

export const DETECTOR_BACKENDS = ['auto', 'wasm', 'tensorflow', 'cpu'] as const;
export const LOW_LIGHT_METHODS = ['off', 'gamma', 'clahe', 'normalise'] as const;
export const WHOLE_FRAME_SEARCHES = ['tiles', 'pairs', 'frame'] as const;

const fraction = z.number().min(0).max(1);

/** Thresholds for one label; box areas are fractions of the image (0.01 = 1% of the frame). */
const labelRules = z.strictObject({
  minScore: fraction.optional().describe('lowest model score that raises an alert').meta({ example: 0.5 }),
  minArea: fraction.optional().describe('smallest box, as a fraction of the image area').meta({ example: 0.001 }),
  maxArea: fraction.optional().describe('largest box, as a fraction of the image area').meta({ example: 0.5 }),
});
export type LabelRulesInput = z.output<typeof labelRules>;

/**
 * Chosen for the default model (`nanodet`, full frame + 2×2 tiles, the closer look on people) on the
 * tuning half of the dev set, by presence (is there at least one?): for each label the lowest threshold
 * whose precision there reaches the target (person 0.95, e-bike 0.90). On the held-out half: person
 * P 0.99 R 0.93, e-bike P 0.96 R 0.81 (docs/detection.md, "Thresholds by presence", has both halves,
 * the count-based figures and the event-level cost); with the second model on still pictures (its
 * scores calibrated onto these thresholds) person P 0.99 R 0.94, e-bike P 0.94 R 0.86. With
 * `model: mb3-centernet`, person 0.35 / e-bike 0.25 is that model's measured choice.
 */
export const DEFAULT_LABEL_RULES = {
  person: { minScore: 0.4, minArea: 0, maxArea: 1 },
  ebike: { minScore: 0.3, minArea: 0, maxArea: 1 },
} as const;

const labelsSchema = z.strictObject({
  person: labelRules.optional().describe('thresholds for people'),
  ebike: labelRules.optional().describe('thresholds for e-bikes (COCO bicycle and motorcycle until the model has its own class)'),
});

const tilingSchema = z.strictObject({
  grids: z.array(z.int().min(2).max(4)).max(3).default([2])
    .describe('tile grids run besides the full frame on still pictures, each 2-4: [2] = 2×2 tiles, [2, 3] adds 3×3, [] = full frame only; every tile costs one more inference'),
  overlap: z.number().min(0).max(0.5).default(0.25).describe('fraction of a tile shared with its neighbour'),
  minImageSide: z.int().min(0).max(100_000).default(640)
    .describe('tiles only for images whose longer side has at least this many pixels'),
});

const whenBusySchema = z.strictObject({
  maxShrink: z.number().min(1).max(4).default(2)
    .describe('while the detector cannot keep up (a frame was dropped in the last 10 s; up to 160 s when going back to the normal plan dropped frames at once), motion regions are merged into crops shrunk up to this much into the model input, so each busy frame costs fewer inferences and fewer frames are dropped; small objects shrink with it. 1.5 is the normal plan (turns this off)'),
  mosaic: z.boolean().default(true)
    .describe('on the busy plan, small motion regions are cropped to their own size (shrunk at most maxShrink times) and packed four to a model input, one per cell of a 2×2 grid, from one camera or several; false: one input per crop'),
  pairs: z.boolean().default(true)
    .describe('with mosaic, on the busy plan: a crop too large for a cell that fits half a model input (416x204, or 204x416) shrunk at most pairShrink times shares the input with another frame\'s, so two cameras\' busy frames cost one inference; a crop with no partner runs whole. false: each such crop takes a whole input'),
  pairShrink: z.number().min(1).max(4).default(3)
    .describe('how far a crop may be shrunk into half a model input for a pair; 3 takes a whole 4:3 frame (768x576 is shrunk 2.8 times into 416x204)'),
  wholeFrame: z.enum(WHOLE_FRAME_SEARCHES).default('pairs')
    .describe('on the busy plan, how whole-frame searches (the first frame, a lighting change, motion.scanEvery) run: pairs (default: the full frame and its 2x2 tiles, each in half an input, beside another frame\'s crop or each other, when it fits at pairShrink, else in a whole input), tiles (as when not busy: 5 whole inputs), frame (the full frame alone; it lost 6 of 25 visits on the dev set\'s crowd video, docs/capacity.md). Needs mosaic and pairs; without them pairs is tiles'),
});

const lowLightSchema = z.strictObject({
  method: z.enum(LOW_LIGHT_METHODS).default('normalise')
    .describe('how a dark frame is brightened before the model sees it: normalise (default: stretch its luminance, no extra inference; found a few more people at night on the dev set), gamma (tone lift), clahe (local histogram equalisation; slow: over a second for 1280x1024 here), off; docs/detection.md has the measurement'),
  belowLuma: z.number().min(0).max(255).default(60)
    .describe('frames whose mean luminance (0-255) is below this are brightened; brighter frames are left exactly as they are'),
  gamma: z.number().min(1).max(4).default(2).describe('the exponent of the gamma lift: 2 turns a dark 64 into 128'),
  secondLook: z.boolean().default(false)
    .describe('run the model on the dark frame as it is and again on the brightened one (twice the inferences on dark frames) instead of only on the brightened one'),
});

const zoomSchema = z.strictObject({
  labels: z.array(z.enum(LABELS)).max(LABELS.length).default(['person'])
    .describe('labels whose unsure boxes get a closer look: person (default; on the dev set it kept precision and found more people) or ebike (it lost two-wheelers there); [] turns it off'),
  from: fraction.default(0.3).describe('on a still picture (no motion region: `minwang detect`, a whole-frame search), boxes scoring at least this...'),
  upTo: fraction.default(0.7).describe('...and below this get a closer look: cut out again at the picture\'s own resolution and scored once more; the box\'s score becomes the mean of the two looks'),
  maxPerPicture: z.int().min(0).max(16).default(8).describe('the most boxes of one picture looked at again, best first; four share one inference; 0 turns the closer look off'),
}).refine((z) => z.from < z.upTo, { message: 'from must be below upTo', path: ['from'] });

export const detectorSchema = z.strictObject({
  model: z.string().regex(/^[a-z0-9-]{1,64}$/).default('nanodet')
    .describe('model id under models/: nanodet (default; best recall at high precision on the dev set) or mb3-centernet'),
  backend: z.enum(DETECTOR_BACKENDS).default('auto')
    .describe('auto: the native @tensorflow/tfjs-node backend when it is installed and loads, else wasm; cpu is plain JavaScript, much slower than wasm'),
  workers: z.int().min(1).max(16).optional().describe('inference worker threads, each holding its own copy of the model; default one per CPU core')
    .meta({ example: 2 }),
  queue: z.int().min(1).max(1000).default(8).describe('images waiting for a worker before new ones are refused'),
  tiling: tilingSchema.prefault({}).describe('where the model looks on a whole picture (when there is no motion region to look at)'),
  labels: labelsSchema.prefault({}).describe('per-label thresholds; the values shown are the defaults').meta({ example: DEFAULT_LABEL_RULES }),
  whenBusy: whenBusySchema.prefault({}).describe('how the detector saves work while frames are being dropped'),
  lowLight: lowLightSchema.prefault({}).describe('brightening dark frames (night, dusk) before detection'),
  zoom: zoomSchema.prefault({}).describe('a closer look at the boxes the model is unsure of on still pictures (distant people, posts that look like one)'),
  secondModel: z.string().regex(/^[a-z0-9-]{1,64}$/).default('yolov5s')
    .describe('a second model run on the full frame of every still picture (`minwang detect`, the agent\'s whole-frame searches: first frame, lighting change, motion.scanEvery), its boxes merged with the first model\'s: together they found more people and two-wheelers at the same precision on the dev set (docs/detection.md, "A second model on still pictures"); live frames (motion regions) use `model` alone. none turns it off'),
}).prefault({}).describe('the on-device detector');

export type DetectorConfig = z.output<typeof detectorSchema>;

/**
 * A camera's zones: `{name, polygon}`, the names reported in events' `zones`. The older unnamed
 * form (a bare polygon) is still accepted and named after its place in the list: `zone-1`, `zone-2`...
 */
const zonesSchema = z.array(z.union([z.strictObject({ name: zoneName, polygon: polygonSchema }), polygonSchema])).max(32)
  .transform((zones) => zones.map((zone, i) => (Array.isArray(zone) ? { name: `zone-${i + 1}`, polygon: zone } : zone)))
  .superRefine((zones, ctx) => {
    const seen = new Set<string>();
    zones.forEach((zone, i) => {
      if (seen.has(zone.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `zone name "${zone.name}" is used twice on this camera` });
      seen.add(zone.name);
    });
  });
export type NamedZone = z.output<typeof zonesSchema>[number];

/** A camera's `detect:` block: zones, masks and threshold overrides for that camera. */
export const cameraDetectSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('run detection on this camera (cmd/detect/set switches it at run time)'),
  zones: zonesSchema.default([])
    .describe('named areas: alert only for objects whose foot point (the bottom centre of the box) is inside one (none = anywhere); events name the zones an object stands in. A bare polygon (the older form) is named zone-1, zone-2... by its place')
    .meta({ example: [{ name: 'gate', polygon: [[0, 0.4], [1, 0.4], [1, 1], [0, 1]] }] }),
  masks: z.array(polygonSchema).max(32).default([])
    .describe('never alert for objects whose foot point is inside one of these polygons (a swaying tree, a poster, a road outside the village)')
    .meta({ example: [[[0.8, 0.4], [1, 0.4], [1, 0.7], [0.8, 0.7]]] }),
  labels: labelsSchema.prefault({}).describe('per-label overrides for this camera (same keys as detector.labels)')
    .meta({ example: { person: { minScore: 0.4 } } }),
}).prefault({});

export type CameraDetectConfig = z.output<typeof cameraDetectSchema>;
