import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../agent/config/load.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { MqttStationLink } from '../../../agent/mqtt/link.js';
import { FakeClock } from '../../../agent/ports/fakes/clock.js';
import { realFileSystem } from '../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../agent/ports/mqtt.js';

const config = parseConfigText('host: {id: h1}\nmqtt: {url: "mqtt://127.0.0.1:1"}\nstorage: {dataDir: /nonexistent}\n', 'c.yaml');
const link = () => new MqttStationLink({ config, ports: { clock: new FakeClock(), fs: realFileSystem, mqtt: realMqttConnector }, logger: silentLogger(), version: 't' });

describe('MQTT station link', () => {
  it('refuses ids that would change a topic', async () => {
    await expect(link().publishThumbnail('ev/1', Buffer.alloc(1))).rejects.toThrow(/event id "ev\/1" cannot be a topic level/);
    await expect(link().publishPatrol({ ts: 't', id: '#' }, Buffer.alloc(1))).rejects.toThrow(/patrol report id "#"/);
    expect(() => link().setCameraStatus({ ts: 't', camera: 'a+b', state: 'online', reason: null, since: 't' })).toThrow(/camera id "a\+b"/);
  });

  it('registers the built-in commands and refuses a second handler for one op', () => {
    const l = link();
    expect(() => l.registerCommand('ping', { params: { safeParse: () => ({ success: true }) } as never, run: () => Promise.resolve(null) })).toThrow(/registered twice/);
    expect(l.state()).toEqual({ connected: false, outboxDepth: 0, dropped: 0 });
  });
});
