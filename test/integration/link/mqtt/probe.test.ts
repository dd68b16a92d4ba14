import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeBroker } from '../../../../agent/link/mqtt/probe.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import { makePasswordFile } from '../../../helpers/certs.js';
import { freePort, TestBroker } from '../../../helpers/mosquitto.js';
import { testConfig } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const deps = { connector: realMqttConnector, fs: realFileSystem };

describe('broker probe for minwang check', () => {
  it('says ok, names a wrong password, and names an unreachable broker', async () => {
    const dir = await tempDir();
    const passwd = join(dir, 'passwd');
    await makePasswordFile(passwd, { h1: 'right' });
    const broker = await TestBroker.start({ dir: join(dir, 'broker'), listener: ['allow_anonymous false', `password_file ${passwd}`] });
    cleanups.push(() => broker.stop());
    const mqtt = (url: string, password: string) => testConfig({ host: 'h1', url, dataDir: dir, mqtt: ['username: h1', `password: ${password}`, 'connectTimeout: 2s'] }).mqtt;

    expect(await probeBroker(mqtt(broker.url, 'right'), 'h1', deps)).toMatchObject({ ok: true, protocolVersion: 5 });
    expect(await probeBroker(mqtt(broker.url, 'wrong'), 'h1', deps)).toMatchObject({ ok: false, kind: 'auth', message: expect.stringMatching(/check mqtt\.username and mqtt\.password/) as unknown });
    const closed = `mqtt://127.0.0.1:${await freePort()}`;
    expect(await probeBroker(mqtt(closed, 'right'), 'h1', deps)).toMatchObject({ ok: false, kind: 'unreachable', message: expect.stringContaining('ECONNREFUSED') as unknown });
  });
});
