import { z } from 'zod';
import { zoneName } from '../../contract/ids.js';
import { polygonSchema } from './regions.js';

/**
 * The detector: which model, which TensorFlow.js backend, how many worker threads, where the model
 * looks (tiles), and per-label thresholds. Cameras may override thresholds in their `detect:` block.
 */

export const DETECTOR_BACKENDS = ['auto', 'wasm', 'tensorflow', 'cpu'] as const;

const fraction = z.number().min(0).max(1);

/** Thresholds for one label; box areas are fractions of the image (0.01 = 1% of the frame). */
const labelRules = z.strictObject({
  minScore: fraction.optional().describe('lowest model score that raises an alert'),
  minArea: fraction.optional().describe('smallest box, as a fraction of the image area'),
  maxArea: fraction.optional().describe('largest box, as a fraction of the image area'),
});
export type LabelRulesInput = z.output<typeof labelRules>;

/** Chosen on the labelled footage (docs/detection.md): each label at its own threshold. */
export const DEFAULT_LABEL_RULES = {
  person: { minScore: 0.35, minArea: 0, maxArea: 1 },
  ebike: { minScore: 0.25, minArea: 0, maxArea: 1 },
} as const;

const labelsSchema = z.strictObject({ person: labelRules.optional(), ebike: labelRules.optional() });

const tilingSchema = z.strictObject({
  grids: z.array(z.int().min(2).max(4)).max(3).default([2])
    .describe('tile grids run besides the full frame, e.g. [2] = 2×2 tiles; [] = full frame only'),
  overlap: z.number().min(0).max(0.5).default(0.25).describe('fraction of a tile shared with its neighbour'),
  minImageSide: z.int().min(0).max(100_000).default(640)
    .describe('tiles only for images whose longer side has at least this many pixels'),
});

export const detectorSchema = z.strictObject({
  model: z.string().regex(/^[a-z0-9-]{1,64}$/).default('mb3-centernet').describe('model id under models/'),
  backend: z.enum(DETECTOR_BACKENDS).default('auto')
    .describe('auto: native tensorflow when @tensorflow/tfjs-node is installed, else wasm'),
  workers: z.int().min(1).max(16).optional().describe('inference worker threads; default one per CPU core'),
  queue: z.int().min(1).max(1000).default(8).describe('images waiting for a worker before new ones are refused'),
  tiling: tilingSchema.prefault({}),
  labels: labelsSchema.prefault({}),
}).prefault({});

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
    .describe('named areas {name, polygon}: alert only for objects whose foot point is inside one (none = anywhere); events name the zones an object stands in'),
  masks: z.array(polygonSchema).max(32).default([])
    .describe('never alert for objects whose foot point is inside one of these (trees, roads, posters)'),
  labels: labelsSchema.prefault({}),
}).prefault({});

export type CameraDetectConfig = z.output<typeof cameraDetectSchema>;
