import type { Logger } from '../../core/logger.js';
import type { DetectOptions, DetectionResult } from '../types.js';
import type { BackendChoice, BackendName } from './backend.js';
import type { TilingOptions } from './crops.js';
import type { LowLightOptions } from './low-light.js';
import type { ZoomOptions } from './zoom.js';

/** What every worker is given to build its detector (structured-clone safe). */
export interface WorkerSetup {
  modelId: string;
  modelsRoot: string;
  backend: BackendChoice;
  tiling: TilingOptions;
  /** Absent: off (setups built before the setting existed, e.g. benches). */
  lowLight?: LowLightOptions;
  /** Absent: off. */
  zoom?: ZoomOptions;
  /**
   * The second model run on the full frame of still pictures (`detector.secondModel`), and where it
   * is installed (the packaged models: a model update's slot holds only the updated model). Absent: none.
   */
  second?: { modelId: string; modelsRoot: string };
  minScore: number;
  fit: 'contain' | 'fill';
}

/** One to `MAX_BATCH` pictures; the worker answers with one result per picture, in order. */
export interface DetectRequest {
  id: number;
  items: { image: Uint8Array; options: DetectOptions }[];
}

/** Pictures a worker takes at once: one mosaic input's worth of frames (docs/capacity.md). */
export const MAX_BATCH = 4;

export type WorkerMessage =
  | { type: 'ready'; backend: BackendName; fallbackReason?: string; secondModelProblem?: string }
  | { type: 'failed'; code: string; message: string }
  /** `inferences`: model runs these images took (crops and mosaics); `busyMs`: the worker's time on them. */
  | {
    /** One per picture, in order: its result, or why it failed (a picture that cannot be read fails alone). */
    type: 'result'; id: number; results: ({ result: DetectionResult } | { code: string; message: string })[];
    numTensors: number; inferences: number; busyMs: number;
    /** Of those inferences, the mosaic inputs and the cells they held. */
    mosaic: { inputs: number; cells: number };
  }
  | { type: 'error'; id: number; code: string; message: string };

/**
 * Logs what a worker's `ready` says the operator should hear of: the native backend's absence, and
 * a second model that could not be loaded (once per pool: `said` holds what was said already).
 */
export function logReady(message: Extract<WorkerMessage, { type: 'ready' }>, logger: Logger, said: Set<string>): void {
  if (message.fallbackReason !== undefined) logger.info({ reason: message.fallbackReason }, 'native tensorflow backend unavailable; using wasm');
  const problem = message.secondModelProblem;
  if (problem === undefined || said.has(problem)) return;
  said.add(problem);
  logger.warn({ reason: problem }, 'detector.secondModel unavailable; still pictures use the detector model alone (run `minwang check`)');
}
