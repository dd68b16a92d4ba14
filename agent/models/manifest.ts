import { z } from 'zod';

/**
 * A model manifest (`models/<id>/manifest.json`): where the model's files come from, how to
 * check them, how to feed the model and read its output, which classes raise which alert label,
 * and a self-test that proves an installed copy still sees what it should.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const ALERT_LABELS = ['person', 'ebike'] as const;

const modelFile = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name').describe('file name in the installed model directory'),
  from: z.string().min(1).describe('path inside the source package'),
  package: z.string().min(1).optional().describe('another pinned package this one file comes from (e.g. a reference image)'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact version, e.g. 3.3.6').optional(),
  sha256,
  bytes: z.int().positive(),
});

const source = z.strictObject({
  package: z.string().min(1).describe('npm package the files are extracted from at install time'),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact version, e.g. 3.3.6'),
  license: z.string().min(1),
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]{86}==$/, 'the registry\'s sha512 integrity, e.g. sha512-…==').optional()
    .describe('when set, the package is not a dependency: its tarball is fetched from the npm registry at install (`npm pack`) and must have this integrity'),
});

const triple = z.tuple([z.number(), z.number(), z.number()]);

const input = z.strictObject({
  name: z.string().min(1),
  shape: z.tuple([z.literal(1), z.int().positive(), z.int().positive(), z.int().positive()])
    .describe('[1, height, width, 3] for nhwc, [1, 3, height, width] for nchw'),
  layout: z.enum(['nhwc', 'nchw']),
  dtype: z.literal('float32'),
  range: z.tuple([z.number(), z.number()]).describe('value range of one channel'),
  channels: z.enum(['rgb', 'bgr']).optional().describe('channel order the model expects (default rgb)'),
  mean: triple.optional().describe('subtracted per channel (model order) after scaling to `range`'),
  std: triple.optional().describe('divides per channel (model order) after `mean`'),
}).refine((i) => (i.layout === 'nhwc' ? i.shape[3] === 3 : i.shape[1] === 3), 'shape must have 3 channels where the layout puts them');

/** Rows of [x1, y1, x2, y2, score, class] in input pixels, as CenterNet exports them. */
const rowsOutput = z.strictObject({
  name: z.string().min(1),
  decoding: z.literal('rows-xyxy-score-class'),
});

/** A GFL head (NanoDet): per level, sigmoid class scores and distance-distribution logits. */
const gflOutput = z.strictObject({
  decoding: z.literal('gfl'),
  classes: z.int().positive(),
  regMax: z.int().positive().max(64),
  levels: z.array(z.strictObject({ stride: z.int().positive(), scores: z.string().min(1), boxes: z.string().min(1) })).min(1).max(8),
});

/** A YOLO (v5-style) head: rows `[cx, cy, w, h, objectness, class probabilities…]`. */
const yoloOutput = z.strictObject({
  name: z.string().min(1),
  decoding: z.literal('yolo'),
  classes: z.int().positive(),
  normalised: z.boolean().describe('boxes are fractions of the input side, not input pixels'),
});

const output = z.discriminatedUnion('decoding', [rowsOutput, gflOutput, yoloOutput]);

/**
 * Raw score → calibrated score, as points of a piecewise-linear curve through (0, 0) and (1, 1):
 * puts a second model's scores on the default model's scale, so one threshold per label means
 * about the same precision whichever model found the box (docs/detection.md, "A second model on still pictures").
 */
const calibration = z.array(z.tuple([z.number().gt(0).lt(1), z.number().gt(0).lt(1)])).min(1).max(8)
  .refine((points) => points.every((p, i) => i === 0 || (p[0] > (points[i - 1]?.[0] ?? 0) && p[1] > (points[i - 1]?.[1] ?? 0))), 'points must rise in both raw and calibrated score');

const labelEntry = z.strictObject({ class: z.string().min(1), label: z.enum(ALERT_LABELS), calibration: calibration.optional() });

const selfTest = z.strictObject({
  image: z.string().min(1).describe('name of one of the files'),
  expect: z.array(z.strictObject({ label: z.enum(ALERT_LABELS), minCount: z.int().positive(), minScore: z.number().min(0).max(1) })).min(1),
});

const modelFileWithSource = modelFile.refine((f) => (f.package === undefined) === (f.version === undefined), 'a file from another package names both `package` and `version`');

export const modelManifestSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  version: z.string().min(1),
  description: z.string().min(1),
  source,
  files: z.array(modelFileWithSource).min(2),
  graph: z.string().min(1).describe('name of the TensorFlow.js graph-model JSON among the files'),
  input,
  output,
  /** COCO class index (as a string key) → the model's class name and the alert label it raises. */
  labels: z.record(z.string().regex(/^\d+$/), labelEntry),
  selfTest,
}).superRefine((m, ctx) => {
  const names = new Set(m.files.map((f) => f.name));
  if (!names.has(m.graph)) ctx.addIssue({ code: 'custom', path: ['graph'], message: `"${m.graph}" is not one of the files` });
  if (!names.has(m.selfTest.image)) ctx.addIssue({ code: 'custom', path: ['selfTest', 'image'], message: `"${m.selfTest.image}" is not one of the files` });
});

export type ModelManifest = z.output<typeof modelManifestSchema>;
export type ModelInput = ModelManifest['input'];

/** The model's input picture size, whatever its layout. */
export function inputSize(input: ModelInput): { width: number; height: number } {
  return input.layout === 'nhwc' ? { height: input.shape[1], width: input.shape[2] } : { height: input.shape[2], width: input.shape[3] };
}
export type ModelFile = ModelManifest['files'][number];
