import sharp from 'sharp';
import { assertPixelLimit, SHARP_INPUT } from '../imaging/pixel-limit.js';
import type { GraphModel, Tensor } from '@tensorflow/tfjs';
import { AgentError, errorMessage } from '../../core/errors.js';
import type { InstalledModel } from '../../models/store.js';
import { inputSize, type ModelInput } from '../../models/manifest.js';
import type { DetectOptions, Detection, DetectionResult, Detector } from '../types.js';
import { readyBackend, type BackendChoice, type BackendName, type Tf } from './backend.js';
import { planRegionCrops, planStillCrops, type Crop, type TilingOptions } from './crops.js';
import { decodeRows, type CropScale } from './decode.js';
import { decodeGfl } from './gfl.js';
import { loadGraphModel } from './graph-model.js';
import { LOW_LIGHT_OFF, lowLightViews, type LowLightOptions } from './low-light.js';
import { mergeDetections } from './nms.js';

export interface TfDetectorOptions {
  model: InstalledModel;
  backend: BackendChoice;
  tiling: TilingOptions;
  /** Brightening of dark frames before the crops are cut (default off). */
  lowLight?: LowLightOptions | undefined;
  /** Raw detections below this score are dropped; per-label thresholds come after, in the filters. */
  minScore: number;
  /** `contain` keeps the aspect ratio (black bars); `fill` squashes the crop to the input square. */
  fit: 'contain' | 'fill';
  /** Threads for the wasm backend; the worker pool gives each worker one. */
  threads?: number;
}

/** A decoded image: packed RGB bytes. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Runs a TensorFlow.js graph model on the full frame plus tiles, or on crops around given regions. */
export class TfDetector implements Detector {
  private inferenceCount = 0;

  private constructor(
    private readonly tf: Tf,
    private readonly graph: GraphModel,
    private readonly options: TfDetectorOptions,
    readonly backend: BackendName,
    readonly fallbackReason: string | undefined,
  ) {}

  static async create(options: TfDetectorOptions): Promise<TfDetector> {
    const ready = await readyBackend(options.backend, options.threads ?? 1);
    const graph = await loadGraphModel(ready.tf, options.model);
    return new TfDetector(ready.tf, graph, options, ready.name, ready.fallbackReason);
  }

  async detect(image: Buffer, options: DetectOptions = {}): Promise<DetectionResult> {
    const started = performance.now();
    const rgb = await decodeImage(image);
    const crops = options.regions !== undefined && options.regions.length > 0
      ? planRegionCrops(rgb.width, rgb.height, options.regions, this.inputSide(), this.options.tiling, options.maxShrink)
      : planStillCrops(rgb.width, rgb.height, this.options.tiling);
    // Bright frames: one view, the decoded frame itself. Dark ones: the brightened frame (and the frame).
    const views = await lowLightViews(rgb, this.options.lowLight ?? LOW_LIGHT_OFF);
    const found: Detection[] = [];
    for (const view of views) for (const crop of crops) found.push(...(await this.detectCrop(view, crop)));
    return { width: rgb.width, height: rgb.height, ms: Math.round(performance.now() - started), detections: mergeDetections(found) };
  }

  /** Live tensors held by this thread's TensorFlow.js engine: flat from one call to the next. */
  numTensors(): number {
    return this.tf.memory().numTensors;
  }

  /** Model runs since this detector was made (one per crop). */
  inferences(): number {
    return this.inferenceCount;
  }

  dispose(): void {
    this.graph.dispose();
  }

  private inputSide(): number {
    const { width, height } = inputSize(this.options.model.manifest.input);
    return Math.max(width, height);
  }

  private async detectCrop(rgb: RgbImage, crop: Crop): Promise<Detection[]> {
    const { manifest } = this.options.model;
    const { width, height } = inputSize(manifest.input);
    const { pixels, scale } = await cropToInput(rgb, crop, width, height, this.options.fit);
    const rows = await this.infer(pixels);
    return decodeRows(rows, crop, scale, rgb, manifest.labels, { minScore: this.options.minScore, edgeTolerance: 0.03 });
  }

  /** Runs the graph on one input picture and returns rows `[x1, y1, x2, y2, score, class]` in input pixels. */
  private async infer(pixels: Buffer): Promise<Float32Array | number[]> {
    const { input, output, labels } = this.options.model.manifest;
    this.inferenceCount += 1;
    const tensorIn = () => this.tf.tensor(toInputValues(pixels, input), input.shape, 'float32');
    if (output.decoding === 'rows-xyxy-score-class') {
      const result = this.tf.tidy(() => this.graph.execute({ [input.name]: tensorIn() }, output.name) as Tensor);
      try {
        return (await result.data()) as Float32Array;
      } finally {
        result.dispose();
      }
    }
    const names = output.levels.flatMap((l) => [l.scores, l.boxes]);
    const results = this.tf.tidy(() => this.graph.execute({ [input.name]: tensorIn() }, names) as Tensor[]);
    try {
      const data = (await Promise.all(results.map((r) => r.data()))) as Float32Array[];
      const levels = output.levels.map((l, i) => ({ stride: l.stride, scores: data[2 * i] as Float32Array, boxes: data[2 * i + 1] as Float32Array }));
      const { width, height } = inputSize(input);
      const wanted = Object.keys(labels).map(Number);
      return decodeGfl(levels, { inputWidth: width, inputHeight: height, classes: output.classes, regMax: output.regMax, wanted, minScore: this.options.minScore });
    } finally {
      for (const r of results) r.dispose();
    }
  }
}

/**
 * Packed RGB bytes → the model's input values: scaled to its range, minus its mean, over its std,
 * in its channel order and layout.
 */
export function toInputValues(pixels: Buffer, input: ModelInput): Float32Array {
  const [lo, hi] = input.range;
  const k = (hi - lo) / 255;
  const mean = input.mean ?? [0, 0, 0];
  const std = input.std ?? [1, 1, 1];
  const n = pixels.length / 3;
  const values = new Float32Array(pixels.length);
  for (let c = 0; c < 3; c++) {
    const from = input.channels === 'bgr' ? 2 - c : c;
    const m = mean[c] ?? 0;
    const sd = std[c] ?? 1;
    for (let i = 0; i < n; i++) {
      const v = ((pixels[i * 3 + from] ?? 0) * k + lo - m) / sd;
      values[input.layout === 'nhwc' ? i * 3 + c : c * n + i] = v;
    }
  }
  return values;
}

/** Decodes JPEG/PNG/... into RGB, honouring EXIF orientation. */
export async function decodeImage(image: Buffer): Promise<RgbImage> {
  assertPixelLimit(image);
  try {
    const { data, info } = await sharp(image, { ...SHARP_INPUT, failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw new AgentError('detector.image_unreadable', `not a readable image: ${errorMessage(err)}`, { cause: err });
  }
}

export async function cropToInput(rgb: RgbImage, crop: Crop, width: number, height: number, fit: 'contain' | 'fill'): Promise<{ pixels: Buffer; scale: CropScale }> {
  const { rect } = crop;
  const pixels = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .extract(rect)
    .resize(width, height, { fit, position: 'left top', background: { r: 0, g: 0, b: 0 }, kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  if (fit === 'fill') return { pixels, scale: { scaleX: width / rect.width, scaleY: height / rect.height } };
  const s = Math.min(width / rect.width, height / rect.height);
  return { pixels, scale: { scaleX: s, scaleY: s } };
}
