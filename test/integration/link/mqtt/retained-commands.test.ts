import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import { waitFor } from '../../../helpers/cli.js';
import { capturedLogger } from '../../../helpers/log-capture.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station, testConfig } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('retained commands', () => {
  it('are never run (they would run again after every reconnect) and say so in the log', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/cmd/+/response', 'minwang/test-host/cmd/+/+/response']);
    cleanups.push(() => station.close());
    // Someone (a careless script, or an attacker with publish rights) leaves a command retained.
    await station.client.publishAsync('minwang/test-host/cmd/detect/set', JSON.stringify({ id: 'retained-1', camera: 'gate', enabled: false }), { qos: 1, retain: true });

    const { logger, lines } = capturedLogger();
    const link = new MqttStationLink({
      config: testConfig({ url: broker.url, dataDir: join(dir, 'data') }),
      ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector },
      logger, version: '0.0.0-test',
    });
    const runs: unknown[] = [];
    link.registerCommand('detect/set', (params) => { runs.push(params); return Promise.resolve(params); });
    await link.start();
    cleanups.push(() => link.stop());
    await waitFor(() => lines.some((l) => /arrived retained; ignored/.test(l.msg)), 10_000, 'the retained command to be logged');
    // A live request on the same topic still runs: only the retained copy is refused.
    await station.client.publishAsync('minwang/test-host/cmd/detect/set', JSON.stringify({ id: 'live-1', camera: 'gate', enabled: true }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.json()['id'] === 'live-1'), 10_000, 'the live answer');
    expect(runs).toEqual([{ camera: 'gate', enabled: true }]);
    expect(station.received.map((m) => m.json()['id'])).toEqual(['live-1']);
    expect(lines.find((l) => /arrived retained/.test(l.msg))).toMatchObject({ op: 'detect/set', level: 40 });
  }, 30_000);
});
