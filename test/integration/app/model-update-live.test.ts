import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelUpdater } from '../../../agent/app/model-update.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';
import type { ModelPayload } from '../../../agent/link/contract/v1.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { createDetectorPool } from '../../../agent/edge/detection/from-config.js';
import { packModelDir } from '../../../agent/models/update/pack.js';
import { PACKAGED_MODELS_DIR, sha256Of } from '../../../agent/models/store.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { testKey } from '../../helpers/model-bundles.js';
import { tempDir } from '../../helpers/tmp.js';
import { capturedLogger } from '../../helpers/log-capture.js';
import { AlertBoard } from '../../../agent/host/health/alerts.js';
import { systemClock } from '../../../agent/ports/clock.js';

const maintainer = testKey();
const CHUNK = 44 * 1024;

/**
 * The real thing, kept small (about five wasm inferences): the default model packed into a
 * bundle, sent as chunks, self-tested in its own worker and switched into a running pool while
 * it keeps detecting.
 */
describe('model update with the real detector', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => { for (const stop of stops.reverse()) await stop(); });

  it('installs over chunks and switches while detecting; a bundle failing its self-test is rolled back', async () => {
    const dir = await tempDir();
    const config = parseConfigText(`host:\n  id: test-host\nmqtt:\n  url: mqtt://127.0.0.1:1\nstorage:\n  dataDir: ${dir}\ncameras: []\ndetector:\n  model: mb3-centernet\n  workers: 1\n  backend: wasm\n  tiling: {grids: []}\nmodels:\n  trustedKeys: [${maintainer.publicKey}]\n  trial: {inferences: 2, maxSlowdown: 20}\n`, 'c.yaml');
    // The host log, to show why a command failed (under heavy load this test has failed once, unexplained).
    const log = capturedLogger();
    const link = new MemoryStationLink({ logger: log.logger });
    const states: ModelPayload[] = [];
    const setModel = link.setModel.bind(link);
    link.setModel = (m) => { states.push(m); setModel(m); };
    const pool = createDetectorPool({ detector: config.detector, logger: log.logger });
    const alerts = new AlertBoard({ link, clock: systemClock, logger: silentLogger() });
    const updater = buildModelUpdater({ config, ports: realHostPorts(), logger: log.logger, link, pool, alerts });
    await updater.start();
    await pool.start();
    stops.push(() => pool.stop());
    const detector = updater.watch(pool);
    const image = await readFile(join(PACKAGED_MODELS_DIR, 'mb3-centernet', 'files', 'selftest.jpg'));
    expect(updater.modelVersion()).toBe('mb3-centernet@0');

    const good = await packModelDir({ dir: join(PACKAGED_MODELS_DIR, 'mb3-centernet'), privateKey: maintainer.privateKey, bundleVersion: 2, now: new Date(), validDays: 30, minAgentVersion: '0.0.1', rollback: false });
    // Detections keep running while the bundle arrives, is tested and is switched in.
    let detecting = true;
    const outcomes: string[] = [];
    const loop = (async () => {
      for (let i = 0; i < 6 && detecting; i++) outcomes.push(await detector.detect(image).then((r) => `ok ${r.detections.length}`, (err: Error) => `error ${err.message}`));
    })();
    await sendChunks(link, good.bundle, 'good');
    await updater.idle();
    detecting = false;
    await loop;
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.startsWith('error'))).toEqual([]);
    expect(states.map((s) => s.update?.state).filter((s, i, all) => s !== all[i - 1])).toEqual(['downloading', 'verifying', 'testing', 'active']);
    expect(link.model?.installed).toEqual({ id: 'mb3-centernet', version: 2, sha256: sha256Of(good.bundle) });
    expect(updater.modelVersion()).toBe('mb3-centernet@2');
    // The pool now reads the slot's copy of the model.
    expect(pool.stats().workers).toBe(1);
    expect((await detector.detect(image)).detections.filter((d) => d.label === 'person').length).toBeGreaterThanOrEqual(5);

    // Same weights, but a self-test no model could pass: tested in its own worker, never switched to.
    const strictDir = join(dir, 'strict');
    await cp(join(PACKAGED_MODELS_DIR, 'mb3-centernet'), join(strictDir, 'mb3-centernet'), { recursive: true });
    const manifestFile = join(strictDir, 'mb3-centernet', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { selfTest: { expect: { minCount: number }[] } };
    manifest.selfTest.expect[0] = { ...manifest.selfTest.expect[0], minCount: 500 };
    await writeFile(manifestFile, JSON.stringify(manifest));
    const strict = await packModelDir({ dir: join(strictDir, 'mb3-centernet'), privateKey: maintainer.privateKey, bundleVersion: 3, now: new Date(), validDays: 30, minAgentVersion: '0.0.1', rollback: false });
    await sendChunks(link, strict.bundle, 'strict');
    await updater.idle();
    expect(link.model?.update).toMatchObject({ state: 'rolled_back', version: 3, error: expect.stringMatching(/expected at least 500 person/) as unknown });
    expect(link.health.map((a) => a.kind)).toEqual(['model_rollback']);
    expect(updater.modelVersion()).toBe('mb3-centernet@2');
    expect((await detector.detect(image)).detections.length).toBeGreaterThan(0);

    // model/rollback with an image in flight: the old worker answers it, then the packaged model serves.
    const inflight = detector.detect(image);
    await link.command('model/rollback', {}).catch((err: unknown) => {
      throw new Error(`model/rollback failed: ${String(err)}; host log errors: ${JSON.stringify(log.lines.filter((l) => l.level >= 50))}`);
    });
    expect((await inflight).detections.length).toBeGreaterThan(0);
    expect(updater.modelVersion()).toBe('mb3-centernet@0');
    expect((await detector.detect(image)).detections.length).toBeGreaterThan(0);
    expect(pool.stats().workers).toBe(1);
  }, 240_000);
});

async function sendChunks(link: MemoryStationLink, bundle: Buffer, transfer: string): Promise<void> {
  const total = Math.ceil(bundle.length / CHUNK);
  for (let index = 0; index < total; index++) {
    const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
    await link.command('model/install/chunk', { transfer, index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') });
  }
}
