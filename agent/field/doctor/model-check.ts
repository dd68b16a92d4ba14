import type { Config } from '../../config/schema.js';
import { errorMessage, isAgentError } from '../../core/errors.js';
import { createDetector } from '../../edge/detection/create.js';
import { workerSetup } from '../../edge/detection/from-config.js';
import { runSelfTest } from '../../edge/detection/self-test.js';
import { loadInstalledModel, PACKAGED_MODELS_DIR } from '../../models/store.js';
import { fail, pass, warn, type Check, type CheckOutcome } from './types.js';

/** Loading the model and two inferences on a busy Pi: generous, but bounded. */
const MODEL_CHECK_TIMEOUT_MS = 180_000;
/** Above this per frame, a camera sampled every second queues up on one core. */
const SLOW_MS = 2000;

/**
 * The configured model: files present and matching their sha256, loaded on the configured
 * backend, and the manifest's self-test image found as expected. The first run warms the
 * backend up; the second is the inference time reported.
 */
export function modelCheck(config: Config, modelsRoot: string = PACKAGED_MODELS_DIR): Check {
  return {
    id: 'model',
    title: `model ${config.detector.model}`,
    timeoutMs: MODEL_CHECK_TIMEOUT_MS,
    heavy: true,
    run: () => checkModel(config, modelsRoot),
  };
}

async function checkModel(config: Config, modelsRoot: string): Promise<CheckOutcome> {
  let model;
  try {
    model = await loadInstalledModel(config.detector.model, modelsRoot);
  } catch (err) {
    const hint = isAgentError(err, 'model.corrupt')
      ? 'a model file was damaged (failing SD card?): reinstall the package, or roll back to the previous model'
      : 'run `npm run provision-models` (or reinstall with scripts/install.sh) so the model files are in place, or fix detector.model';
    return fail(errorMessage(err), hint);
  }
  const detector = await createDetector(workerSetup(config.detector, config.cameras.map((c) => c.detect), modelsRoot));
  try {
    await runSelfTest(detector, model);
    const report = await runSelfTest(detector, model);
    const details = { version: model.manifest.version, backend: detector.backend, inferenceMs: report.ms, found: report.found };
    const found = Object.entries(report.found).map(([label, n]) => `${n} ${label}`).join(', ');
    if (!report.ok) return fail(report.problems.join('; '), 'the model or the backend misbehaves: reinstall the model, or set detector.backend to another backend', details);
    const summary = `${model.manifest.id} ${model.manifest.version} verified; self-test found ${found}; ${report.ms} ms per frame on ${detector.backend}`;
    // `auto` falling back to wasm is the normal case off a host with tfjs-node; a named backend that failed is not.
    if (config.detector.backend !== 'auto' && detector.fallbackReason !== undefined) return warn(`${summary} (fell back: ${detector.fallbackReason})`, 'the configured backend could not start; see detector.backend', details);
    if (report.ms > SLOW_MS) return warn(`${summary}: slow`, 'sample cameras less often (cameras[].interval), or use fewer tiles (detector.tiling.grids: [])', details);
    return pass(summary, details);
  } finally {
    detector.dispose();
  }
}
