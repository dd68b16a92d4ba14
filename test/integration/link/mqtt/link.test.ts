import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttStationLink } from '../../../../agent/link/mqtt/link.js';
import { silentLogger, type Logger } from '../../../../agent/core/logger.js';
import { capturedLogger } from '../../../helpers/log-capture.js';
import { waitFor } from '../../../helpers/cli.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import { realMqttConnector } from '../../../../agent/ports/mqtt.js';
import type { EventBody } from '../../../../agent/link/contract/v1.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station, testConfig } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function event(i: number, camera = 'gate'): EventBody {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return { ts, id: `ev-${i}`, type: 'new', camera, label: 'person', score: 0.9, box: [0.1, 0.1, 0.2, 0.3], zones: [], startedAt: ts, thumbnail: false };
}

async function startLink(url: string, dataDir: string, mqttLines: string[] = [], logger: Logger = silentLogger(), extra = '') {
  const config = testConfig({ url, dataDir, mqtt: mqttLines, extra });
  const link = new MqttStationLink({
    config,
    ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector },
    logger,
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

  it('notices a frozen broker (SIGSTOP) within 2x keepalive and delivers everything after SIGCONT', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/events'], { keepalive: 600 });
    cleanups.push(() => station.close());
    const { logger, lines } = capturedLogger();
    const link = await startLink(broker.url, join(dir, 'data'), ['keepalive: 2s', 'connectTimeout: 2s'], logger);
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    await link.publishEvent(event(0));
    await station.waitFor((r) => r.length === 1);

    broker.signal('SIGSTOP');
    const frozenAt = Date.now();
    for (let i = 1; i <= 20; i++) await link.publishEvent(event(i));
    // mqtt.js gives up 1.5x keepalive after the last packet it received; 2x is the promise.
    await waitFor(() => !link.state().connected, 4000 + 500, 'the link to notice the frozen broker');
    expect(Date.now() - frozenAt).toBeLessThanOrEqual(4000 + 500);
    expect(lines.some((l) => l.msg.startsWith('lost the broker connection') && l['kind'] === 'timeout')).toBe(true);
    expect(link.state().outboxDepth).toBe(20);

    broker.signal('SIGCONT');
    await station.waitFor((r) => new Set(r.map((m) => m.json()['id'])).size === 21, 20_000, 'all 21 events');
    const seqs = [...new Set(station.received.map((m) => m.json()['seq'] as number))].sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 21 }, (_, i) => i));
    await waitFor(() => link.state().outboxDepth === 0, 10_000, 'the outbox to drain');
  }, 60_000);

  it('survives fuzzed commands over the broker: no action runs, answers are errors, ping still works', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/cmd/+/response', 'minwang/test-host/cmd/+/+/response']);
    cleanups.push(() => station.close());
    const link = await startLink(broker.url, join(dir, 'data'), ['maxCommandBytes: 2KiB']);
    const runs: unknown[] = [];
    link.registerCommand('detect/set', (params) => { runs.push(params); return Promise.resolve(params); });
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    const payloads = fc.sample(fc.oneof(
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
      fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,12}$/), camera: fc.jsonValue(), enabled: fc.jsonValue(), extra: fc.jsonValue() }, { requiredKeys: ['id', 'extra'] }).map((v) => Buffer.from(JSON.stringify(v))),
      fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)),
    ), { numRuns: 150, seed: 5 });
    const ops = ['detect/set', 'ping', 'events/query', 'config/get', 'nope', 'rebirth'];
    for (const [i, payload] of payloads.entries()) {
      await station.client.publishAsync(`minwang/test-host/cmd/${ops[i % ops.length] ?? 'ping'}`, payload, { qos: 1 });
    }
    await station.client.publishAsync('minwang/test-host/cmd/ping', JSON.stringify({ id: 'after-fuzz' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.json()['id'] === 'after-fuzz'), 20_000, 'the ping after the fuzz');
    expect(runs).toEqual([]);
    const answers = station.received.map((m) => m.json());
    const detectAnswers = station.on('minwang/test-host/cmd/detect/set/response').map((m) => m.json());
    expect(detectAnswers.every((a) => a['status'] === 'error')).toBe(true);
    expect(answers.find((a) => a['id'] === 'after-fuzz')).toMatchObject({ status: 'ok', data: { host: 'test-host' } });
  }, 60_000);

  it("reports when an op's answer was acknowledged by the broker, with its time and bytes (clip pacing)", async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/cmd/ping/response']);
    cleanups.push(() => station.close());
    const link = await startLink(broker.url, join(dir, 'data'));
    const sent: { ms: number | undefined; bytes: number }[] = [];
    link.onAnswerSent('ping', (ms, bytes) => sent.push({ ms, bytes }));
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    await station.client.publishAsync('minwang/test-host/cmd/ping', JSON.stringify({ id: 'p1' }), { qos: 1 });
    await station.waitFor((r) => r.length === 1);
    await waitFor(() => sent.length === 1, 5000, 'the acknowledgement');
    expect(sent[0]?.bytes).toBe(station.received[0]?.payload.length);
    expect(sent[0]?.ms).toBeGreaterThanOrEqual(0);
    expect(sent[0]?.ms).toBeLessThan(5000);
  });

  it("reports every QoS 1 message the broker acknowledged (outbox, retained status), with its time and bytes (the uplink's round trip for clip chunks)", async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/health']);
    cleanups.push(() => station.close());
    const link = await startLink(broker.url, join(dir, 'data'));
    const acked: { ms: number; bytes: number }[] = [];
    link.onPublishAcked((ms, bytes) => acked.push({ ms, bytes }));
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    await link.publishHealth({ ts: new Date().toISOString(), id: 'h-rtt', kind: 'tamper', state: 'raised', subject: 'host', severity: 'critical', message: 'opened' });
    await station.waitFor((r) => r.length === 1);
    const received = station.received[0];
    const bytes = (received?.topic.length ?? 0) + (received?.payload.length ?? 0);
    // The retained status at connect is timed too (a quiet host's round trip); the health message among them:
    await waitFor(() => acked.some((a) => a.bytes === bytes), 5000, 'the acknowledgement');
    expect(acked.length).toBeGreaterThanOrEqual(2);
    expect(acked.every((a) => a.ms >= 0 && a.ms < 5000)).toBe(true);
  });

  it('answers config/get with secrets redacted and republishes retained state on rebirth', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/#']);
    cleanups.push(() => station.close());
    const link = await startLink(broker.url, join(dir, 'data'), ['username: test-host', 'password: hunter2']);
    link.setCameraStatus({ ts: new Date().toISOString(), camera: 'gate', state: 'offline', reason: 'timeout', since: new Date().toISOString() });
    link.setModel({ ts: new Date().toISOString(), installed: null });
    link.setHeartbeat({ ts: new Date().toISOString(), uptimeS: 1 });
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    await station.client.publishAsync('minwang/test-host/cmd/config/get', JSON.stringify({ id: 'c1' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/test-host/cmd/config/get/response'));
    const config = station.on('minwang/test-host/cmd/config/get/response')[0]!;
    expect(config.payload.toString()).not.toContain('hunter2');
    expect(config.json()).toMatchObject({ id: 'c1', status: 'ok', data: { mqtt: { password: '[redacted]' } } });

    const before = station.received.length;
    await station.client.publishAsync('minwang/test-host/cmd/rebirth', JSON.stringify({ id: 'rb' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/test-host/cmd/rebirth/response'));
    const after = station.received.slice(before).map((m) => m.topic);
    expect(after).toEqual(expect.arrayContaining(['minwang/test-host/status', 'minwang/test-host/heartbeat', 'minwang/test-host/camera/gate/status', 'minwang/test-host/model']));
    const heartbeat = station.on('minwang/test-host/heartbeat').at(-1)!.json();
    expect(heartbeat).toMatchObject({ uptimeS: 1, outbox: { depth: 0, dropped: { images: 0, messages: 0 } } });
    const status = station.on('minwang/test-host/status').at(-1)!.json() as { session: number };
    expect(heartbeat).toMatchObject({ session: status.session });
  });

  it('queues thumbnails, health and patrol reports while the broker is down and marks late ones historical', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    // A slow reconnect, so the station below is subscribed (it keeps no session) before the link delivers.
    const link = await startLink(broker.url, join(dir, 'data'), ['reconnect: {min: 8s, max: 8s}'], silentLogger(), 'outbox: {historicalAfter: 1s}');
    await waitFor(() => link.state().connected, 10_000, 'the link to connect');
    await link.publishEvent(event(0));
    await waitFor(() => link.state().outboxDepth === 0, 10_000, 'the first event to be acknowledged');
    await broker.kill();
    await waitFor(() => !link.state().connected, 10_000, 'the link to notice');
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    await link.publishThumbnail('ev-0', jpeg);
    await link.publishHealth({ ts: new Date().toISOString(), id: 'h-1', kind: 'disk_low', state: 'raised', subject: '/data', severity: 'warning', message: '5% free' });
    await link.publishPatrol({ ts: new Date().toISOString(), id: 'p-1', cameras: [] }, jpeg);
    expect(link.state().outboxDepth).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await broker.restart();
    const station = await Station.connect(broker.url, ['minwang/test-host/#']);
    cleanups.push(() => station.close());
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/test-host/patrol/p-1/sheet'), 20_000, 'the queued messages');
    const thumb = station.on('minwang/test-host/events/ev-0/thumbnail')[0]!;
    expect(thumb.payload).toEqual(jpeg);
    expect(thumb.userProperties).toMatchObject({ historical: 'true' });
    expect(station.on('minwang/test-host/health')[0]?.json()).toMatchObject({ id: 'h-1', seq: 1, historical: true });
    expect(station.on('minwang/test-host/patrol')[0]?.json()).toMatchObject({ id: 'p-1', cameras: [], historical: true });
    expect(station.received.filter((m) => !m.topic.endsWith('/status')).map((m) => m.topic)).toEqual([
      'minwang/test-host/events/ev-0/thumbnail', 'minwang/test-host/health', 'minwang/test-host/patrol', 'minwang/test-host/patrol/p-1/sheet',
    ]);
  });

  it.each([
    ['keeps its session (sessionExpiry 1h): a command sent while it was away is answered', '1h', true],
    ['with sessionExpiry 0s the broker forgets the session, and the command with it', '0s', false],
  ])('%s', async (_name, expiry, delivered) => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/cmd/ping/response']);
    cleanups.push(() => station.close());
    const first = await startLink(broker.url, join(dir, 'data'), [`sessionExpiry: ${expiry}`]);
    await waitFor(() => first.state().connected, 10_000, 'the link to connect');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the SUBACK
    await first.stop();
    await station.client.publishAsync('minwang/test-host/cmd/ping', JSON.stringify({ id: 'while-away' }), { qos: 1 });
    const second = await startLink(broker.url, join(dir, 'data'), [`sessionExpiry: ${expiry}`]);
    await waitFor(() => second.state().connected, 10_000, 'the link to reconnect');
    await station.client.publishAsync('minwang/test-host/cmd/ping', JSON.stringify({ id: 'after' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.json()['id'] === 'after'), 10_000, 'the answer to the later ping');
    expect(station.received.some((m) => m.json()['id'] === 'while-away')).toBe(delivered);
  });

  it('speaks MQTT 3.1.1 when configured', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/test-host/events']);
    cleanups.push(() => station.close());
    const link = await startLink(broker.url, join(dir, 'data'), ['protocolVersion: 4']);
    await link.publishEvent(event(0));
    await station.waitFor((r) => r.length === 1);
    expect(station.received[0]?.json()).toMatchObject({ id: 'ev-0', seq: 0 });
    expect(broker.log).toMatch(/as test-host \(p2, c0/); // mosquitto logs MQTT 3.1.1 as p2
  });
});
