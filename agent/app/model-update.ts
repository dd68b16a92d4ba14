import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { HealthReporter, StationLink } from '../link/contract/link.js';
import type { Logger } from '../core/logger.js';
import { agentVersion } from '../core/version.js';
import { ownOutputSetup, workerSetup } from '../edge/detection/from-config.js';
import { DetectorPool } from '../edge/detection/pool.js';
import { runSelfTest } from '../edge/detection/self-test.js';
import type { WorkerSetup } from '../edge/detection/worker-protocol.js';
import { ModelUpdater } from '../models/update/updater.js';
import type { ModelTarget } from '../models/update/slots.js';
import { loadInstalledModel, modelPaths, PACKAGED_MODELS_DIR, sha256Of } from '../models/store.js';
import type { HostPorts } from '../ports/index.js';

export interface ModelUpdateWiring {
  config: Config;
  ports: HostPorts;
  logger: Logger;
  link: StationLink;
  pool: DetectorPool;
  /** The host's alert board (a rollback stays raised until a model passes its trial). */
  alerts: HealthReporter;
}

/**
 * The model updater beside the detector: it self-tests a new model in a one-worker pool of its
 * own, then switches the detector's pool to it. Installed models live under `<dataDir>/models`.
 */
export function buildModelUpdater({ config, ports, logger, link, pool, alerts }: ModelUpdateWiring): ModelUpdater {
  const cameras = config.cameras.filter((c) => c.detect.enabled).map((c) => c.detect);
  // Only the detector's own model changes: the second model for still pictures (`detector.secondModel`) stays the packaged one.
  const setupFor = (target: ModelTarget): WorkerSetup => ({ ...workerSetup(config.detector, cameras), modelId: target.modelId, modelsRoot: target.modelsRoot });
  const log = logger.child({ module: 'model-update' });
  return new ModelUpdater({
    root: join(config.storage.dataDir, 'models'),
    config: config.models,
    link, health: alerts, logger: log, clock: ports.clock, http: ports.http, fs: ports.fs,
    agentVersion: agentVersion(),
    packaged: { slot: null, id: config.detector.model, bundleVersion: 0, sha256: packagedManifestSha(config.detector.model), modelsRoot: PACKAGED_MODELS_DIR },
    selfTest: async (target) => {
      const model = await loadInstalledModel(target.modelId, target.modelsRoot);
      const tester = new DetectorPool({ size: 1, setup: ownOutputSetup(setupFor(target)), maxQueue: 1, logger: log });
      await tester.start();
      try {
        return await runSelfTest(tester, model);
      } finally {
        await tester.stop();
      }
    },
    activate: (target) => pool.reload(setupFor(target)),
  });
}

function packagedManifestSha(id: string): string {
  try {
    return sha256Of(readFileSync(modelPaths(PACKAGED_MODELS_DIR, id).manifest));
  } catch {
    return '';
  }
}

