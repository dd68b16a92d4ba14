import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { silentLogger, type Logger } from '../../../../agent/core/logger.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import type { EventBody } from '../../../../agent/link/contract/v1.js';
import { makeCerts, makePasswordFile } from '../../../helpers/certs.js';
import { waitFor } from '../../../helpers/cli.js';
import { capturedLogger, type LogLine } from '../../../helpers/log-capture.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station, testConfig } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const SHIPPED_ACL = fileURLToPath(new URL('../../../../config/mosquitto/minwang.acl', import.meta.url));
const PASSWORDS = { station: 'station-pw', 'host-a': 'a-pw', 'host-b': 'b-pw' };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function event(id: string): EventBody {
  const ts = new Date().toISOString();
  return { ts, id, type: 'new', camera: 'gate', label: 'ebike', score: 0.8, box: [0, 0, 0.5, 0.5], zones: [], startedAt: ts, thumbnail: false };
}

async function startLink(options: { host: string; url: string; dataDir: string; mqtt: string[]; logger?: Logger }) {
  const link = new MqttStationLink({
    config: testConfig({ host: options.host, url: options.url, dataDir: options.dataDir, mqtt: options.mqtt }),
    ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector },
    logger: options.logger ?? silentLogger(),
    version: 'test',
  });
  await link.start();
  cleanups.push(() => link.stop());
  return link;
}

async function securedBroker(dir: string, listener: string[] = []): Promise<TestBroker> {
  const passwd = join(dir, 'passwd');
  await makePasswordFile(passwd, PASSWORDS);
  const broker = await TestBroker.start({
    dir: join(dir, 'broker'),
    listener: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${SHIPPED_ACL}`, ...listener],
  });
  cleanups.push(() => broker.stop());
  return broker;
}

function connectFailures(lines: LogLine[]): LogLine[] {
  return lines.filter((l) => l.msg.startsWith('cannot connect to the broker'));
}

describe('broker security with the shipped ACL', () => {
  it('keeps host A out of host B: no forged publishes, no reading B\'s commands; the station sees both', async () => {
    const dir = await tempDir();
    const broker = await securedBroker(dir);
    const station = await Station.connect(broker.url, ['minwang/#'], { username: 'station', password: PASSWORDS.station });
    cleanups.push(() => station.close());
    const linkA = await startLink({ host: 'host-a', url: broker.url, dataDir: join(dir, 'a'), mqtt: ['username: host-a', `password: ${PASSWORDS['host-a']}`] });
    const linkB = await startLink({ host: 'host-b', url: broker.url, dataDir: join(dir, 'b'), mqtt: ['username: host-b', `password: ${PASSWORDS['host-b']}`] });
    await waitFor(() => linkA.state().connected && linkB.state().connected, 10_000, 'both hosts to connect');

    // Host A's credentials, used by something other than its agent.
    const rogue = await Station.connect(broker.url, ['minwang/host-b/cmd/#', 'minwang/+/cmd/#'], { username: 'host-a', password: PASSWORDS['host-a'], clientId: 'host-a-rogue' });
    cleanups.push(() => rogue.close());
    await rogue.client.publishAsync('minwang/host-b/events', JSON.stringify({ id: 'forged', seq: 0 }), { qos: 1 }).catch(() => undefined);
    await rogue.client.publishAsync('minwang/host-b/status', JSON.stringify({ state: 'offline', session: 999 }), { qos: 1, retain: true }).catch(() => undefined);
    await rogue.client.publishAsync('minwang/host-b/cmd/ping', JSON.stringify({ id: 'rogue-ping' }), { qos: 1 }).catch(() => undefined);
    // Published after the forgeries on the same connection: once it arrives, they would have too.
    await rogue.client.publishAsync('minwang/host-a/events', JSON.stringify({ id: 'marker' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/host-a/events' && m.json()['id'] === 'marker'), 10_000, 'the marker');
    expect(station.received.filter((m) => m.topic.startsWith('minwang/host-b/') && m.payload.toString().includes('forged'))).toEqual([]);
    expect(station.received.filter((m) => m.topic === 'minwang/host-b/status').map((m) => m.json()['session'])).not.toContain(999);
    expect(station.received.some((m) => m.topic === 'minwang/host-b/cmd/ping/response')).toBe(false);

    await station.client.publishAsync('minwang/host-a/cmd/ping', JSON.stringify({ id: 'to-a' }), { qos: 1 });
    await station.client.publishAsync('minwang/host-b/cmd/ping', JSON.stringify({ id: 'to-b' }), { qos: 1 });
    await station.waitFor((r) => ['minwang/host-a/cmd/ping/response', 'minwang/host-b/cmd/ping/response'].every((t) => r.some((m) => m.topic === t)), 10_000, 'both answers');
    expect(station.on('minwang/host-b/cmd/ping/response').map((m) => m.json())).toEqual([{ id: 'to-b', status: 'ok', data: expect.objectContaining({ host: 'host-b' }) as unknown }]);
    // The rogue reads its own commands (so its subscription works) but never B's.
    await rogue.waitFor((r) => r.some((m) => m.topic === 'minwang/host-a/cmd/ping'), 10_000, 'the rogue to see A\'s command');
    expect(rogue.received.filter((m) => m.topic.startsWith('minwang/host-b/'))).toEqual([]);

    await linkA.publishEvent(event('from-a'));
    await linkB.publishEvent(event('from-b'));
    await station.waitFor((r) => ['from-a', 'from-b'].every((id) => r.some((m) => m.topic.endsWith('/events') && m.payload.toString().includes(`"${id}"`))), 10_000, 'events from both hosts');
  });

  it('logs a clear error for a wrong password and retries with growing delays', async () => {
    const dir = await tempDir();
    const broker = await securedBroker(dir);
    const { logger, lines } = capturedLogger();
    const link = await startLink({ host: 'host-a', url: broker.url, dataDir: join(dir, 'a'), mqtt: ['username: host-a', 'password: wrong', 'reconnect: {min: 200ms, max: 5s}'], logger });
    await waitFor(() => connectFailures(lines).length >= 4, 15_000, 'four failed attempts');
    const failures = connectFailures(lines);
    expect(failures[0]?.['kind']).toBe('auth');
    expect(failures[0]?.msg).toMatch(/refused the login: check mqtt\.username and mqtt\.password/);
    expect(failures[0]?.level).toBe(50);
    const delays = failures.map((l) => l['retryInMs'] as number);
    expect(delays[0]).toBeGreaterThanOrEqual(100);
    expect(delays[3]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(delays[2]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(link.state().connected).toBe(false);
  });

  it('logs a clear TLS error for a broker certificate from the wrong CA, retries, and connects with the right CA', async () => {
    const dir = await tempDir();
    const certs = await makeCerts(dir);
    const broker = await TestBroker.start({
      dir: join(dir, 'broker'),
      listener: ['allow_anonymous true', `cafile ${certs.ca}`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`],
    });
    cleanups.push(() => broker.stop());
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const { logger, lines } = capturedLogger();
    const wrong = await startLink({ host: 'host-a', url, dataDir: join(dir, 'a'), mqtt: [`tls: {ca: "${certs.otherCa}"}`, 'reconnect: {min: 200ms, max: 5s}'], logger });
    await waitFor(() => connectFailures(lines).length >= 3, 15_000, 'three failed attempts');
    const failures = connectFailures(lines);
    expect(failures[0]?.['kind']).toBe('tls');
    expect(failures[0]?.msg).toMatch(/TLS failed .*check mqtt\.tls\.ca/);
    const delays = failures.map((l) => l['retryInMs'] as number);
    expect(delays[2]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(wrong.state().connected).toBe(false);

    const right = await startLink({ host: 'host-b', url, dataDir: join(dir, 'b'), mqtt: [`tls: {ca: "${certs.ca}"}`] });
    await waitFor(() => right.state().connected, 10_000, 'the host with the right CA to connect');
  });
});
