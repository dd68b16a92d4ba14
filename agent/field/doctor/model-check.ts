import type { Config } from '../../config/schema.js';
import { errorMessage, isAgentError } from '../../core/errors.js';
import { createDetector } from '../../edge/detection/create.js';
import { workerSetup } from '../../edge/detection/from-config.js';
import { runSelfTest } from '../../edge/detection/self-test.js';
import { ZOOM_OFF } from '../../edge/detection/zoom.js';
import { loadInstalledModel, PACKAGED_MODELS_DIR } from '../../models/store.js';
import { labelText, say } from './i18n/index.js';
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
    title: say('model.title', { id: config.detector.model }),
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
    const hint = isAgentError(err, 'model.corrupt') ? say('model.corruptHint') : say('model.missingHint');
    return fail(say('model.loadFailed', { error: errorMessage(err) }), hint);
  }
  // The manifest's expectation is the model's own output: no closer look (`detector.zoom`) re-scoring it.
  const detector = await createDetector({ ...workerSetup(config.detector, config.cameras.map((c) => c.detect), modelsRoot), zoom: ZOOM_OFF });
  try {
    await runSelfTest(detector, model);
    const report = await runSelfTest(detector, model);
    const details = { version: model.manifest.version, backend: detector.backend, inferenceMs: report.ms, found: report.found };
    const found = Object.entries(report.found).map(([label, n]) => say('model.found', { n, label: labelText(label) }));
    if (!report.ok) return fail(say('model.selfTestFailed', { problems: report.problems.join('; ') }), say('model.selfTestFailedHint'), details);
    const summary = say('model.verified', { id: model.manifest.id, version: model.manifest.version, found, ms: report.ms, backend: detector.backend });
    // `auto` falling back to wasm is the normal case off a host with tfjs-node; a named backend that failed is not.
    if (config.detector.backend !== 'auto' && detector.fallbackReason !== undefined) return warn(say('model.fellBack', { summary, reason: detector.fallbackReason }), say('model.fellBackHint'), details);
    if (report.ms > SLOW_MS) return warn(say('model.slow', { summary }), say('model.slowHint'), details);
    return pass(summary, details);
  } finally {
    detector.dispose();
  }
}
