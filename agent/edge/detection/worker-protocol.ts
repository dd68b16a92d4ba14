import type { DetectOptions, DetectionResult } from '../types.js';
import type { BackendChoice, BackendName } from './backend.js';
import type { TilingOptions } from './crops.js';
import type { LowLightOptions } from './low-light.js';

/** What every worker is given to build its detector (structured-clone safe). */
export interface WorkerSetup {
  modelId: string;
  modelsRoot: string;
  backend: BackendChoice;
  tiling: TilingOptions;
  /** Absent: off (setups built before the setting existed, e.g. benches). */
  lowLight?: LowLightOptions;
  minScore: number;
  fit: 'contain' | 'fill';
}

export interface DetectRequest {
  id: number;
  image: Uint8Array;
  options: DetectOptions;
}

export type WorkerMessage =
  | { type: 'ready'; backend: BackendName; fallbackReason?: string }
  | { type: 'failed'; code: string; message: string }
  /** `inferences`: model runs this image took (crops); `busyMs`: the worker's time on it. */
  | { type: 'result'; id: number; result: DetectionResult; numTensors: number; inferences: number; busyMs: number }
  | { type: 'error'; id: number; code: string; message: string };
