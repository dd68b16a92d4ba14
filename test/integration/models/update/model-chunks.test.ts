import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../agent/core/logger.js';
import { ModelUpdater } from '../../../../agent/models/update/updater.js';
import { sha256Of } from '../../../../agent/models/store.js';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import { testKey, tinyBundle, writeTinyModelDir } from '../../../helpers/model-bundles.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station, testConfig } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const maintainer = testKey();
/** Data per chunk that keeps each request under the default mqtt.maxCommandBytes (64 KiB). */
const CHUNK = 44 * 1024;

describe('model bundle over MQTT chunks (real mosquitto)', () => {
  it('acknowledges every chunk, installs, and leaves the new version retained on the model topic', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const config = testConfig({ url: broker.url, dataDir: join(dir, 'data'), extra: `models:\n  trustedKeys: [${maintainer.publicKey}]` });
    const link = new MqttStationLink({ config, ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector }, logger: silentLogger(), version: '0.0.0-test' });
    await writeTinyModelDir(join(dir, 'packaged'));
    const updater = new ModelUpdater({
      fs: realFileSystem, health: { raise: () => undefined, clear: () => undefined }, root: join(dir, 'data', 'models'), config: config.models, link, logger: silentLogger(), clock: systemClock,
      http: { fetch: () => Promise.reject(new Error('offline')) }, agentVersion: '0.1.0',
      packaged: { slot: null, id: 'tiny', bundleVersion: 0, sha256: 'a'.repeat(64), modelsRoot: join(dir, 'packaged') },
      selfTest: () => Promise.resolve({ ok: true, problems: [] }),
      activate: () => Promise.resolve(),
    });
    await link.start();
    cleanups.push(() => link.stop());
    await updater.start();
    cleanups.push(() => updater.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/cmd/model/install/chunk/response', 'minwang/test-host/model', 'minwang/test-host/cmd/ping/response']);
    cleanups.push(() => station.close());
    // Commands are not retained: first make sure the host is subscribed.
    for (let i = 0; i < 50 && station.on('minwang/test-host/cmd/ping/response').length === 0; i++) {
      await station.client.publishAsync('minwang/test-host/cmd/ping', JSON.stringify({ id: `p${i}` }), { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const bundle = tinyBundle({ key: maintainer, bundleVersion: 4, weights: Buffer.alloc(200 * 1024, 7) });
    const total = Math.ceil(bundle.length / CHUNK);
    expect(total).toBeGreaterThan(3);
    for (let index = 0; index < total; index++) {
      const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
      const request = { id: `chunk-${index}`, transfer: 'mqtt-1', index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') };
      await station.client.publishAsync('minwang/test-host/cmd/model/install/chunk', JSON.stringify(request), { qos: 1 });
      // The next chunk goes only once this one is acknowledged.
      await station.waitFor((r) => r.some((m) => m.topic.endsWith('/chunk/response') && m.json()['id'] === `chunk-${index}`), 10_000, `ack of chunk ${index}`);
    }
    const acks = station.on('minwang/test-host/cmd/model/install/chunk/response').map((m) => m.json());
    expect(acks.map((a) => a['status'])).toEqual(Array(total).fill('ok'));
    expect(acks.at(-1)?.['data']).toEqual({ transfer: 'mqtt-1', received: total, total });
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/test-host/model' && (m.json()['update'] as { state?: string } | undefined)?.state === 'active'), 10_000, 'active');

    const late = await Station.connect(broker.url, ['minwang/test-host/model']);
    cleanups.push(() => late.close());
    await late.waitFor((r) => r.length > 0, 10_000, 'retained model');
    expect(late.received[0]?.retain).toBe(true);
    expect(late.received[0]?.json()).toMatchObject({ installed: { id: 'tiny', version: 4, sha256: sha256Of(bundle) }, update: { state: 'active', version: 4 } });
  }, 60_000);
});
