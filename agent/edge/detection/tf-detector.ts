import type { GraphModel, Tensor } from '@tensorflow/tfjs';
import { AgentError } from '../../core/errors.js';
import type { InstalledModel } from '../../models/store.js';
import { inputSize } from '../../models/manifest.js';
import type { DetectOptions, Detection, DetectionResult, Detector } from '../types.js';
import { readyBackend, type BackendChoice, type BackendName, type Tf } from './backend.js';
import { DEFAULT_MAX_SHRINK, NO_TILES, planRegionCrops, planStillCrops, type Crop, type TilingOptions } from './crops.js';
import { cellRows, cellSide, mosaicCells, mosaicHalves, packMosaic, planBusyStill, planMosaicCrops, quartersFilled, type Cell, type MosaicPlan, type PairOptions, type Placement } from './mosaic.js';
import { decodeRows, rawFloor, type CropScale } from './decode.js';
import { decodeGfl } from './gfl.js';
import { decodeYolo } from './yolo.js';
import { loadGraphModel } from './graph-model.js';
import { LOW_LIGHT_OFF, lowLightViews, type LowLightOptions } from './low-light.js';
import { mergeDetections } from './nms.js';
import { composeMosaic, cropToInput, toInputValues } from './pixels.js';
import { decodeImage, type RgbImage } from '../imaging/rgb.js';
import { applyZoom, rescore, ZOOM_OFF, zoomCandidates, zoomCrop, type ZoomOptions } from './zoom.js';

export interface TfDetectorOptions {
  model: InstalledModel;
  backend: BackendChoice;
  tiling: TilingOptions;
  /** Brightening of dark frames before the crops are cut (default off). */
  lowLight?: LowLightOptions | undefined;
  /** A closer look at unsure boxes on still pictures (default off). */
  zoom?: ZoomOptions | undefined;
  /**
   * A second model run on the full frame of every still picture (`detector.secondModel`), its boxes
   * (calibrated by its manifest) each given its own closer look, then merged with the first model's:
   * the first model's closer look would only average them down where that model is blind. Live
   * frames (motion regions) never use it.
   */
  secondModel?: InstalledModel | undefined;
  /** Why the configured second model is not there (it could not be loaded), when it is not. */
  secondModelProblem?: string | undefined;
  /** Raw detections below this score are dropped; per-label thresholds come after, in the filters. */
  minScore: number;
  /** `contain` keeps the aspect ratio (black bars); `fill` squashes the crop to the input square. */
  fit: 'contain' | 'fill';
  /** Threads for the wasm backend; the worker pool gives each worker one. */
  threads?: number;
}

/** A box within 3% of a crop's side from an inner edge counts as cut by it (tiles, regions, cells). */
const DECODE_EDGES = (minScore: number) => ({ minScore, edgeTolerance: 0.03 });

/** A loaded graph, the manifest that says how to feed it and read it, and its raw score floor. */
interface Net {
  graph: GraphModel;
  manifest: InstalledModel['manifest'];
  /** The lowest raw score that can calibrate to the detector's floor (`decode.ts`). */
  floor: number;
}

/** One picture of a batch while it is being looked at: `view` is what the model sees (brightened when dark). */
interface Picture {
  rgb: RgbImage;
  view: RgbImage;
  /** A whole-picture search off the busy plan: its unsure boxes get a closer look. */
  closerLook: boolean;
  found: Detection[];
  /** What the second model found on a still picture: its own closer look, then merged in with `found`. */
  second: Detection[];
}

/** Runs a TensorFlow.js graph model on the full frame plus tiles, or on crops around given regions. */
export class TfDetector implements Detector {
  private inferenceCount = 0;
  private readonly packing = { inputs: 0, cells: 0 };

  private constructor(
    private readonly tf: Tf,
    private readonly net: Net,
    /** `options.secondModel`, loaded. */
    private readonly second: Net | undefined,
    private readonly options: TfDetectorOptions,
    readonly backend: BackendName,
    readonly fallbackReason: string | undefined,
  ) {}

  static async create(options: TfDetectorOptions): Promise<TfDetector> {
    const ready = await readyBackend(options.backend, options.threads ?? 1);
    const load = async (model: InstalledModel): Promise<Net> => ({
      graph: await loadGraphModel(ready.tf, model), manifest: model.manifest, floor: rawFloor(model.manifest.labels, options.minScore),
    });
    const net = await load(options.model);
    const second = options.secondModel;
    try {
      const secondNet = second === undefined || second.manifest.id === options.model.manifest.id ? undefined : await load(second);
      return new TfDetector(ready.tf, net, secondNet, options, ready.name, ready.fallbackReason);
    } catch (err) {
      net.graph.dispose();
      throw err;
    }
  }

  async detect(image: Buffer, options: DetectOptions = {}): Promise<DetectionResult> {
    const [answer] = await this.detectBatch([{ image, options }]);
    if (answer === undefined) throw new AgentError('detector.failed', 'no result for the image');
    if ('error' in answer) throw answer.error;
    return answer.result;
  }

  /**
   * Several pictures at once (the pool hands a worker up to four mosaic frames): each picture's
   * whole-input crops run alone, and the small crops of every picture asking for the mosaic
   * (`options.mosaic`) share inputs, four cells to an input; with `options.pairShrink`, crops that
   * fit half an input at that shrink share inputs two by two, and one left without a partner runs
   * whole (`lone: 'half'` packs it alone, as it would be beside another frame's). One answer per
   * picture, in order: a picture that cannot be read fails alone.
   */
  async detectBatch(
    items: readonly { image: Buffer; options: DetectOptions }[], batch: { lone?: 'whole' | 'half' } = {},
  ): Promise<({ result: DetectionResult } | { error: unknown })[]> {
    const started = performance.now();
    const { width, height } = inputSize(this.options.model.manifest.input);
    const quarter = mosaicCells(width, height)[0];
    const pictures: (Picture | { error: unknown })[] = [];
    const packed: { item: { index: number; view: RgbImage }; crop: Crop }[] = [];
    const halves: { item: { index: number; view: RgbImage }; crop: Crop }[] = [];
    for (const [index, { image, options }] of items.entries()) {
      let rgb: RgbImage;
      let views: RgbImage[];
      try {
        rgb = await decodeImage(image);
        // Bright frames: one view, the decoded frame itself. Dark ones: the brightened frame (and the frame).
        views = await lowLightViews(rgb, this.options.lowLight ?? LOW_LIGHT_OFF);
      } catch (error) {
        pictures.push({ error });
        continue;
      }
      const plan = this.plan(rgb, options);
      const found: Detection[] = [];
      for (const view of views) for (const crop of plan.whole) found.push(...(await this.detectCrop(this.net, view, crop)));
      const still = (options.regions === undefined || options.regions.length === 0) && options.still === undefined;
      const second: Detection[] = [];
      if (still && this.second !== undefined) {
        for (const view of views) for (const crop of planStillCrops(view.width, view.height, NO_TILES)) second.push(...(await this.detectCrop(this.second, view, crop)));
      }
      pictures.push({ rgb, view: views[0] ?? rgb, closerLook: still, found, second });
      for (const view of views) packed.push(...plan.cells.map((crop) => ({ item: { index, view }, crop })));
      for (const view of views) halves.push(...plan.halves.map((crop) => ({ item: { index, view }, crop })));
    }
    const found = (index: number) => (pictures[index] as Picture).found;
    const packing = packMosaic(packed, halves, width, height, batch);
    for (const { item, crop } of packing.lone) {
      found(item.index).push(...(await this.detectCrop(this.net, item.view, crop)));
      // Counted as the half input it costs when packed: whether packing pays is judged on what frames would cost together.
      this.packing.inputs += 1;
      this.packing.cells += 2;
    }
    for (const input of packing.inputs) {
      const cellFound = await this.detectPlaced(this.net, input, quarter);
      input.forEach((p, i) => found(p.item.index).push(...(cellFound[i] ?? [])));
    }
    const merged = pictures.map((p) => ('error' in p ? p : { ...p, found: mergeDetections(p.found), second: mergeDetections(p.second) }));
    const zoomed = await this.zoom(await this.zoom(merged, this.net, 'found'), this.second, 'second');
    const ms = Math.round(performance.now() - started);
    return zoomed.map((p) => ('error' in p ? p : { result: { width: p.rgb.width, height: p.rgb.height, ms, detections: p.second.length === 0 ? p.found : mergeDetections([...p.found, ...p.second]) } }));
  }

  /** One mosaic input: what each placed crop holds, in picture coordinates, in order. */
  private async detectPlaced(net: Net, input: readonly Placement<{ view: RgbImage }>[], quarter: Cell | undefined): Promise<Detection[][]> {
    const { width, height } = inputSize(net.manifest.input);
    const placed = input.map((p) => ({ ...p, rgb: p.item.view }));
    const { pixels, scales } = await composeMosaic(placed, width, height, this.options.fit);
    const rows = await this.infer(net, pixels);
    this.packing.inputs += 1;
    this.packing.cells += quartersFilled(placed, quarter);
    return placed.map((p, i) => {
      const scale = scales[i] as CropScale;
      const own = cellRows(rows, p.cell, { width: p.crop.rect.width * scale.scaleX, height: p.crop.rect.height * scale.scaleY });
      return decodeRows(own, p.crop, scale, p.rgb, net.manifest.labels, DECODE_EDGES(this.options.minScore));
    });
  }

  /**
   * The closer look (`zoom.ts`) at the unsure boxes of whole-picture searches, all of the batch's four
   * to an input: `which` boxes (the first model's, or the second model's), looked at by the model that found them.
   */
  private async zoom<P extends Picture | { error: unknown }>(pictures: P[], net: Net | undefined, which: 'found' | 'second'): Promise<P[]> {
    const options = this.options.zoom ?? ZOOM_OFF;
    if (options.maxPerPicture === 0 || net === undefined) return pictures;
    const looks = pictures.flatMap((p, index) => ('error' in p || !p.closerLook ? [] : zoomCandidates(p[which], options).map((candidate) => ({
      index, candidate, item: { view: p.view }, crop: zoomCrop(candidate.box, p.rgb.width, p.rgb.height),
    }))));
    if (looks.length === 0) return pictures;
    const { width, height } = inputSize(net.manifest.input);
    const cells = mosaicCells(width, height);
    const closer: Detection[][] = [];
    for (const input of packMosaic(looks, [], width, height).inputs) closer.push(...(await this.detectPlaced(net, input, cells[0])));
    return pictures.map((p, index) => {
      if ('error' in p) return p;
      const mine = looks.map((look, i) => ({ look, i })).filter(({ look }) => look.index === index);
      if (mine.length === 0) return p;
      return { ...p, [which]: applyZoom(p[which], mine.map(({ look }) => look.candidate), mine.map(({ look, i }) => rescore(look.candidate, closer[i] ?? []))) };
    });
  }

  /** Live tensors held by this thread's TensorFlow.js engine: flat from one call to the next. */
  numTensors(): number {
    return this.tf.memory().numTensors;
  }

  /** Model runs since this detector was made (one per crop). */
  inferences(): number {
    return this.inferenceCount;
  }

  /**
   * Of those runs, the mosaic inputs, and the cells they held (a half counts as the two quarters it
   * fills; a half run whole for want of a partner counts as an input holding one half).
   */
  mosaics(): { inputs: number; cells: number } {
    return { ...this.packing };
  }

  /** Why the configured second model is not in use, when it is not. */
  get secondModelProblem(): string | undefined {
    return this.options.secondModelProblem;
  }

  dispose(): void {
    this.net.graph.dispose();
    this.second?.graph.dispose();
  }

  private plan(rgb: RgbImage, options: DetectOptions): MosaicPlan {
    const { width, height } = rgb;
    const input = inputSize(this.options.model.manifest.input);
    const pairs: PairOptions | undefined = options.mosaic === true && options.pairShrink !== undefined
      ? { maxShrink: options.pairShrink, half: mosaicHalves(input.width, input.height).wide[0] }
      : undefined;
    if (options.regions === undefined || options.regions.length === 0) {
      if (options.still === 'pairs' || options.still === 'frame') return planBusyStill(width, height, this.options.tiling, options.still, pairs);
      return { whole: planStillCrops(width, height, this.options.tiling), cells: [], halves: [] };
    }
    if (options.mosaic === true) {
      const side = cellSide(input.width, input.height);
      return planMosaicCrops(width, height, options.regions, this.inputSide(), side, this.options.tiling, options.maxShrink ?? DEFAULT_MAX_SHRINK, pairs);
    }
    return { whole: planRegionCrops(width, height, options.regions, this.inputSide(), this.options.tiling, options.maxShrink), cells: [], halves: [] };
  }

  private inputSide(): number {
    const { width, height } = inputSize(this.options.model.manifest.input);
    return Math.max(width, height);
  }

  private async detectCrop(net: Net, rgb: RgbImage, crop: Crop): Promise<Detection[]> {
    const { width, height } = inputSize(net.manifest.input);
    const { pixels, scale } = await cropToInput(rgb, crop, width, height, this.options.fit);
    const rows = await this.infer(net, pixels);
    return decodeRows(rows, crop, scale, rgb, net.manifest.labels, DECODE_EDGES(this.options.minScore));
  }

  /** Runs the graph on one input picture and returns rows `[x1, y1, x2, y2, score, class]` in input pixels. */
  private async infer(net: Net, pixels: Buffer): Promise<Float32Array | number[]> {
    const { input, output, labels } = net.manifest;
    this.inferenceCount += 1;
    const tensorIn = () => this.tf.tensor(toInputValues(pixels, input), input.shape, 'float32');
    const { width, height } = inputSize(input);
    const wanted = Object.keys(labels).map(Number);
    if (output.decoding !== 'gfl') {
      const result = this.tf.tidy(() => net.graph.execute({ [input.name]: tensorIn() }, output.name) as Tensor);
      try {
        const data = (await result.data()) as Float32Array;
        if (output.decoding === 'rows-xyxy-score-class') return data;
        return decodeYolo(data, { inputWidth: width, inputHeight: height, classes: output.classes, normalised: output.normalised, wanted, minScore: net.floor });
      } finally {
        result.dispose();
      }
    }
    const names = output.levels.flatMap((l) => [l.scores, l.boxes]);
    const results = this.tf.tidy(() => net.graph.execute({ [input.name]: tensorIn() }, names) as Tensor[]);
    try {
      const data = (await Promise.all(results.map((r) => r.data()))) as Float32Array[];
      const levels = output.levels.map((l, i) => ({ stride: l.stride, scores: data[2 * i] as Float32Array, boxes: data[2 * i + 1] as Float32Array }));
      return decodeGfl(levels, { inputWidth: width, inputHeight: height, classes: output.classes, regMax: output.regMax, wanted, minScore: net.floor });
    } finally {
      for (const r of results) r.dispose();
    }
  }
}
