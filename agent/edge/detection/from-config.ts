import { availableParallelism } from 'node:os';
import type { DetectorConfig, CameraDetectConfig } from '../../config/sections/detector.js';
import type { Logger } from '../../core/logger.js';
import { PACKAGED_MODELS_DIR } from '../../models/store.js';
import { cameraFilter } from './filters.js';
import { DetectorPool } from './pool.js';
import { ZOOM_OFF } from './zoom.js';
import type { WorkerSetup } from './worker-protocol.js';

/**
 * What each worker needs, from the `detector:` config. The raw score floor is the lowest threshold
 * any label of any camera uses, so per-camera filters always see every detection they might keep,
 * or the closer look's `zoom.from` when that is lower, so the closer look sees every unsure box it
 * is meant to raise (a box at 0.27 can end above a 0.40 threshold once looked at closely).
 */
export function workerSetup(detector: DetectorConfig, cameras: readonly Partial<CameraDetectConfig>[] = [], modelsRoot = PACKAGED_MODELS_DIR): WorkerSetup {
  const filters = [cameraFilter(detector), ...cameras.map((c) => cameraFilter(detector, c))];
  const { zoom } = detector;
  const zoomFloor = zoom.maxPerPicture > 0 && zoom.labels.length > 0 ? zoom.from : 1;
  const minScore = Math.min(zoomFloor, ...filters.flatMap((f) => [f.labels.person.minScore, f.labels.ebike.minScore]));
  return {
    modelId: detector.model,
    modelsRoot,
    backend: detector.backend,
    tiling: detector.tiling,
    lowLight: detector.lowLight,
    zoom: detector.zoom,
    ...(detector.secondModel === 'none' ? {} : { second: { modelId: detector.secondModel, modelsRoot } }),
    minScore,
    fit: 'contain',
  };
}

/**
 * `setup` for one model's own output, with no closer look re-scoring it and no second model adding
 * boxes: a self-test (the manifest's expectation is about the one model), or one inference per image in a bench.
 */
export function ownOutputSetup(setup: WorkerSetup, modelId = setup.modelId, modelsRoot = setup.modelsRoot): WorkerSetup {
  return {
    modelId, modelsRoot, backend: setup.backend, tiling: setup.tiling, zoom: ZOOM_OFF, minScore: setup.minScore, fit: setup.fit,
    ...(setup.lowLight === undefined ? {} : { lowLight: setup.lowLight }),
  };
}

export interface PoolFromConfig {
  detector: DetectorConfig;
  cameras?: readonly Partial<CameraDetectConfig>[];
  logger: Logger;
  /** At most this many workers (e.g. no more than the images `minwang detect` was given). */
  maxWorkers?: number;
  modelsRoot?: string;
}

export function createDetectorPool(options: PoolFromConfig): DetectorPool {
  const wanted = options.detector.workers ?? availableParallelism();
  return new DetectorPool({
    size: Math.max(1, Math.min(wanted, options.maxWorkers ?? wanted)),
    setup: workerSetup(options.detector, options.cameras, options.modelsRoot),
    maxQueue: options.detector.queue,
    logger: options.logger.child({ module: 'detector' }),
  });
}
