import type { Config } from '../../config/schema.js';
import { errorMessage, isAgentError } from '../../core/errors.js';
import { createDetector } from '../../edge/detection/create.js';
import { NO_TILES } from '../../edge/detection/crops.js';
import { ownOutputSetup, workerSetup } from '../../edge/detection/from-config.js';
import { runSelfTest } from '../../edge/detection/self-test.js';
import { loadInstalledModel, PACKAGED_MODELS_DIR } from '../../models/store.js';
import { labelText, say } from './i18n/index.js';
import { fail, pass, warn, type Check, type CheckOutcome } from './types.js';

/** Loading the model and two inferences on a busy Pi: generous, but bounded. */
const MODEL_CHECK_TIMEOUT_MS = 180_000;
/** Above this per frame, a camera sampled every second queues up on one core. */
const SLOW_MS = 2000;

/**
 * The configured model (`id` the detector's model, `model-second` its second model for still
 * pictures, when there is one): files present and matching their sha256, loaded on the configured
 * backend, and the manifest's self-test image found as expected. The first run warms the
 * backend up; the second is the inference time reported.
 */
export function modelChecks(config: Config, modelsRoot: string = PACKAGED_MODELS_DIR): Check[] {
  const { model, secondModel } = config.detector;
  const check = (id: string, modelId: string): Check => ({
    id,
    title: say('model.title', { id: modelId }),
    timeoutMs: MODEL_CHECK_TIMEOUT_MS,
    heavy: true,
    run: () => checkModel(config, modelsRoot, modelId, id === 'model'),
  });
  return [check('model', model), ...(secondModel === 'none' || secondModel === model ? [] : [check('model-second', secondModel)])];
}

/**
 * `first`: the detector's model, as it runs on a sampled frame. Otherwise the second model, as it
 * runs on a still picture: the full frame alone, and not on every frame, so its time is no camera's budget.
 */
async function checkModel(config: Config, modelsRoot: string, modelId: string, first: boolean): Promise<CheckOutcome> {
  let model;
  try {
    model = await loadInstalledModel(modelId, modelsRoot);
  } catch (err) {
    const hint = isAgentError(err, 'model.corrupt') ? say('model.corruptHint') : say('model.missingHint');
    return fail(say('model.loadFailed', { error: errorMessage(err) }), hint);
  }
  const setup = ownOutputSetup(workerSetup(config.detector, config.cameras.map((c) => c.detect), modelsRoot), modelId);
  const detector = await createDetector(first ? setup : { ...setup, tiling: NO_TILES });
  try {
    await runSelfTest(detector, model);
    const report = await runSelfTest(detector, model);
    const details = { version: model.manifest.version, backend: detector.backend, inferenceMs: report.ms, found: report.found };
    const found = Object.entries(report.found).map(([label, n]) => say('model.found', { n, label: labelText(label) }));
    if (!report.ok) return fail(say('model.selfTestFailed', { problems: report.problems.join('; ') }), say('model.selfTestFailedHint'), details);
    const summary = say('model.verified', { id: model.manifest.id, version: model.manifest.version, found, ms: report.ms, backend: detector.backend });
    // `auto` falling back to wasm is the normal case off a host with tfjs-node; a named backend that failed is not.
    if (config.detector.backend !== 'auto' && detector.fallbackReason !== undefined) return warn(say('model.fellBack', { summary, reason: detector.fallbackReason }), say('model.fellBackHint'), details);
    if (first && report.ms > SLOW_MS) return warn(say('model.slow', { summary }), say('model.slowHint'), details);
    return pass(summary, details);
  } finally {
    detector.dispose();
  }
}
