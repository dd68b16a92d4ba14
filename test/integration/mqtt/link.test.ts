import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttStationLink } from '../../../agent/mqtt/link.js';
import { createLogger, silentLogger } from '../../../agent/core/logger.js';
import { systemClock } from '../../../agent/ports/clock.js';
import { realFileSystem } from '../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../agent/ports/mqtt.js';
import type { EventBody } from '../../../agent/contract/v1.js';
import { TestBroker } from '../../helpers/mosquitto.js';
import { Station, testConfig } from '../../helpers/station.js';
import { tempDir } from '../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function event(i: number, camera = 'gate'): EventBody {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return { ts, id: `ev-${i}`, type: 'new', camera, label: 'person', score: 0.9, box: [0.1, 0.1, 0.2, 0.3], zones: [], startedAt: ts, thumbnail: false };
}

async function startLink(url: string, dataDir: string, mqttLines: string[] = [], verbose = false) {
  const config = testConfig({ url, dataDir, mqtt: mqttLines });
  const link = new MqttStationLink({
    config,
    ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector },
    logger: verbose ? createLogger({ level: 'debug', format: 'json' }) : silentLogger(),
    version: '0.0.0-test',
  });
  await link.start();
  cleanups.push(() => link.stop());
  return link;
}

describe('MQTT station link against a real mosquitto', () => {
  it('publishes online with a growing session, events with seq, and stopped on a clean stop', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/#']);
    cleanups.push(() => station.close());

    const link = await startLink(broker.url, join(dir, 'data'));
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/test-host/status'), 10_000, 'online');
    expect(station.on('minwang/test-host/status')[0]?.json()).toMatchObject({ state: 'online', session: 1, contract: 1 });
    for (let i = 0; i < 5; i++) await link.publishEvent(event(i));
    await station.waitFor((r) => r.filter((m) => m.topic === 'minwang/test-host/events').length === 5);
    expect(station.on('minwang/test-host/events').map((m) => m.json()['seq'])).toEqual([0, 1, 2, 3, 4]);
    await link.stop();
    await station.waitFor((r) => r.filter((m) => m.topic === 'minwang/test-host/status').length === 2, 10_000, 'stopped');
    expect(station.on('minwang/test-host/status')[1]?.json()).toMatchObject({ state: 'stopped', session: 1 });
  });
});
