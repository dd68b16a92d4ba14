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
  | { type: 'ready'; backend: BackendName; fallbackReason?: string }
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
