import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../../agent/config/load.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { capturedLogger } from '../../../helpers/log-capture.js';
import { FakeClock } from '../../../fakes/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';

const config = parseConfigText('host: {id: h1}\nmqtt: {url: "mqtt://127.0.0.1:1"}\nstorage: {dataDir: /nonexistent}\n', 'c.yaml');
const link = () => new MqttStationLink({ config, ports: { clock: new FakeClock(), fs: realFileSystem, mqtt: realMqttConnector }, logger: silentLogger(), version: 't' });

describe('MQTT station link', () => {
  it('refuses ids that would change a topic', async () => {
    await expect(link().publishThumbnail('ev/1', Buffer.alloc(1))).rejects.toThrow(/event id "ev\/1" cannot be a topic level/);
    const ts = '2026-01-01T00:00:00.000Z';
    await expect(link().publishPatrol({ ts, id: '#' }, Buffer.alloc(1))).rejects.toThrow(/refused to queue a patrol payload: id: must be/);
    expect(() => link().setCameraStatus({ ts, camera: 'a+b', state: 'online', reason: null, since: ts })).toThrow(/camera\/<camera>\/status payload: camera: must be 1-32/);
    const frame = { ts, event: 'ev/1', camera: 'gate', capturedAt: ts, box: [0, 0, 1, 1] as [number, number, number, number], width: 1280, height: 720, contentType: 'image/jpeg' as const, jpegBase64: '/9j/' };
    await expect(link().publishFrame(frame)).rejects.toThrow(/events\/<event-id>\/frame payload: event: /);
    await expect(link().publishFrame({ ...frame, event: 'ev-1', width: 1920 })).rejects.toThrow(/events\/<event-id>\/frame payload: width: /);
  });

  it('logs a refused payload with the topic and the fields', async () => {
    const { logger, lines } = capturedLogger();
    const l = new MqttStationLink({ config, ports: { clock: new FakeClock(), fs: realFileSystem, mqtt: realMqttConnector }, logger, version: 't' });
    const ts = '2026-01-01T00:00:00.000Z';
    await expect(l.publishHealth({ ts, id: 'h1', kind: 'tamper', state: 'raised', subject: '', severity: 'info', message: '' })).rejects.toThrow(/subject/);
    const line = lines.find((x) => x.msg.startsWith('payload refused'));
    expect(line?.['details']).toEqual({ topic: 'health', fields: ['subject'] });
    expect(line?.level).toBe(50);
  });

  it('registers the built-in commands and refuses a second handler for one op', () => {
    const l = link();
    expect(() => l.registerCommand('ping', () => Promise.resolve({ host: 'h1', session: 0, uptimeS: 0, version: 't' }))).toThrow(/registered twice/);
    expect(l.state()).toEqual({ connected: false, outboxDepth: 0, dropped: 0 });
  });
});
