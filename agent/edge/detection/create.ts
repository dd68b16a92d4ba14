import { errorMessage } from '../../core/errors.js';
import { loadInstalledModel, type InstalledModel } from '../../models/store.js';
import { TfDetector } from './tf-detector.js';
import type { WorkerSetup } from './worker-protocol.js';

/**
 * A detector on this thread: the model (and the second model, if any) verified by sha256, then
 * loaded on the chosen backend. A second model that is missing or damaged does not stop detection:
 * the detector runs without it and says why (`secondModelProblem`; the doctor fails its check).
 */
export async function createDetector(setup: WorkerSetup): Promise<TfDetector> {
  const model = await loadInstalledModel(setup.modelId, setup.modelsRoot);
  const { second } = setup;
  let secondModel: InstalledModel | undefined;
  let secondModelProblem: string | undefined;
  if (second !== undefined && second.modelId !== setup.modelId) {
    try {
      secondModel = await loadInstalledModel(second.modelId, second.modelsRoot);
    } catch (err) {
      secondModelProblem = errorMessage(err);
    }
  }
  return TfDetector.create({ model, secondModel, secondModelProblem, backend: setup.backend, tiling: setup.tiling, lowLight: setup.lowLight, zoom: setup.zoom, minScore: setup.minScore, fit: setup.fit, threads: 1 });
}
