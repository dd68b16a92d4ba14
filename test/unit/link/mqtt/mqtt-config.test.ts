import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../../../agent/config/load.js';
import { parseByteSize } from '../../../../agent/config/size.js';
import { connectOptions } from '../../../../agent/link/mqtt/client-options.js';
import { tempDir } from '../../../helpers/tmp.js';
import { configProblems } from '../../../helpers/config.js';

const BASE = 'host: {id: h1}\nmqtt:\n  url: mqtts://broker.example:8883\n';

const problems = (text: string): string => configProblems(text, 'c.yaml');

describe('mqtt, outbox and event log config', () => {
  it('fills defaults', () => {
    const config = parseConfigText(BASE, 'c.yaml');
    expect(config.mqtt).toMatchObject({ protocolVersion: 5, keepalive: 30_000, connectTimeout: 10_000, sessionExpiry: 3_600_000, reconnect: { min: 1000, max: 120_000 }, maxCommandBytes: 65_536 });
    expect(config.outbox).toEqual({ maxBytes: 256 * 1024 ** 2, maxMessages: 100_000, historicalAfter: 60_000 });
    expect(config.eventLog).toEqual({ retention: 7 * 86_400_000 });
  });

  it('documents every new key in the shipped example', async () => {
    const text = await readFile(new URL('../../../../config/minwang.example.yaml', import.meta.url), 'utf8');
    for (const key of ['clientId', 'protocolVersion', 'keepalive', 'connectTimeout', 'sessionExpiry', 'reconnect', 'maxCommandBytes', 'tls', 'ca', 'cert', 'key', 'servername', 'outbox', 'maxBytes', 'maxMessages', 'historicalAfter', 'eventLog', 'retention']) {
      expect(text).toMatch(new RegExp(`^[\\s#]*${key}:`, 'm'));
    }
  });

  it('names bad values', () => {
    expect(problems(`${BASE}  keepalive: 500ms\n`)).toMatch(/mqtt\.keepalive: "500ms" is out of range \(1s to 20m\)/);
    expect(problems(`${BASE}  reconnect: {min: 5s, max: 2s}\n`)).toMatch(/mqtt\.reconnect\.min: must not be longer than reconnect\.max/);
    expect(problems(`${BASE}  tls: {cert: /x.crt}\n`)).toMatch(/mqtt\.tls\.key: give cert and key together/);
    expect(problems(`${BASE.replace('mqtts:', 'mqtt:')}  tls: {ca: /ca.crt}\n`)).toMatch(/mqtt\.tls: tls is set but the url is not mqtts:\/\//);
    expect(problems(`${BASE}outbox: {maxBytes: 10}\n`)).toMatch(/outbox\.maxBytes: 10 is not a size \(examples: 64KiB, 256MiB, 2GB\)/);
    expect(problems(`${BASE}outbox: {maxBytes: 1KiB}\n`)).toMatch(/outbox\.maxBytes: "1KiB" is out of range \(1MiB to 64GiB\)/);
    expect(problems(`${BASE}  protocolVersion: 3\n`)).toMatch(/mqtt\.protocolVersion/);
  });

  it.each([['64KiB', 65_536], ['1.5MiB', 1_572_864], ['10MB', 10_000_000], ['2048B', 2048]])('%s is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['64', 'lots', '5 XB', ''])('%j is not a size', (text) => expect(parseByteSize(text)).toBeUndefined());

  it('refuses a world-readable TLS private key', async () => {
    const dir = await tempDir();
    const key = join(dir, 'host.key');
    await writeFile(key, 'PEM', { mode: 0o600 });
    const file = join(dir, 'c.yaml');
    await writeFile(file, `${BASE}  tls: {cert: ${join(dir, 'host.crt')}, key: ${key}}\n`);
    await expect(loadConfig(file)).resolves.toBeDefined();
    await chmod(key, 0o644);
    await expect(loadConfig(file)).rejects.toThrow(/mqtt\.tls\.key: private key .* is world-readable \(mode 644\); run: chmod o-rwx/);
  });
});

describe('connect options', () => {
  const config = parseConfigText(`${BASE}  username: h1\n  password: pw\n  keepalive: 2500ms\n  sessionExpiry: 2h\n`, 'c.yaml');

  it('keeps a session across drops with MQTT 5 and sets the will', () => {
    const options = connectOptions({ mqtt: config.mqtt, clientId: 'h1', protocolVersion: 5, tls: { servername: 'b' }, will: { topic: 'minwang/h1/status', payload: Buffer.from('{}') } });
    expect(options).toMatchObject({ clientId: 'h1', clean: false, keepalive: 3, reconnectPeriod: 0, username: 'h1', password: 'pw', servername: 'b', rejectUnauthorized: true });
    expect(options.properties).toEqual({ sessionExpiryInterval: 7200 });
    expect(options.will).toMatchObject({ topic: 'minwang/h1/status', qos: 1, retain: true });
  });

  it('sends no MQTT 5 properties over 3.1.1, and a clean session for a probe', () => {
    expect(connectOptions({ mqtt: config.mqtt, clientId: 'h1', protocolVersion: 4, tls: {} }).properties).toBeUndefined();
    expect(connectOptions({ mqtt: config.mqtt, clientId: 'h1-check', protocolVersion: 5, tls: {}, ephemeral: true })).toMatchObject({ clean: true, properties: { sessionExpiryInterval: 0 } });
  });
});
