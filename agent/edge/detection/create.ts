import { loadInstalledModel } from '../../models/store.js';
import { TfDetector } from './tf-detector.js';
import type { WorkerSetup } from './worker-protocol.js';

/** A detector on this thread: the model verified by sha256, then loaded on the chosen backend. */
export async function createDetector(setup: WorkerSetup): Promise<TfDetector> {
  const model = await loadInstalledModel(setup.modelId, setup.modelsRoot);
  return TfDetector.create({ model, backend: setup.backend, tiling: setup.tiling, lowLight: setup.lowLight, zoom: setup.zoom, minScore: setup.minScore, fit: setup.fit, threads: 1 });
}
