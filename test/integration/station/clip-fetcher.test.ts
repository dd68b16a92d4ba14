import { createHash } from 'node:crypto';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIPS } from '../../../agent/config/sections/clips.js';
import { silentLogger } from '../../../agent/core/logger.js';
import { ClipMaker } from '../../../agent/edge/clips/clip-maker.js';
import { MIN_CHUNK_BYTES } from '../../../agent/edge/clips/clip-pacer.js';
import { PUSH_CHUNK } from '../../../agent/edge/clips/clip-sender.js';
import { decodeVideoFrames } from '../../../agent/field/sim/footage-frames.js';
import type { ClipInfo, HealthBody } from '../../../agent/link/contract/v1.js';
import { MqttStationLink } from '../../../agent/link/mqtt/link.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { ClipFetcher } from '../../../agent/station/clip-fetcher.js';
import { ConsoleApp } from '../../../agent/station/console-app.js';
import { MemoryStationLink } from '../../fakes/memory-link.js';
import { startCli, waitFor } from '../../helpers/cli.js';
import { footage } from '../../helpers/footage.js';
import { TestBroker } from '../../helpers/mosquitto.js';
import { Station, testConfig } from '../../helpers/station.js';
import { tempDir } from '../../helpers/tmp.js';

const ports = realHostPorts();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let frames: Buffer[] = [];
beforeAll(async () => {
  frames = await decodeVideoFrames(footage('opencv/vtest.avi'), { fps: 5, maxFrames: 60 });
}, 60_000);

/** A real clip of vtest.avi (12 s of sampled frames) in `<clipsDir>/clips/`, where the agent serves it from. */
async function makeClip(clipsDir: string, event: string): Promise<ClipInfo> {
  const maker = new ClipMaker({
    settings: { ...DEFAULT_CLIPS, preRoll: 0, postRoll: 0, dir: clipsDir, disk: clipsDir, endAfter: 0 },
    cameras: [{ id: 'gate', privacyMasks: [] }],
    link: new MemoryStationLink(), alerts: { raise: () => undefined, clear: () => undefined },
    fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
  });
  await maker.start();
  const base = Date.now() - 60_000;
  for (const [i, jpeg] of frames.entries()) maker.frame({ camera: 'gate', capturedAt: new Date(base + i * 200), mono: 0, jpeg });
  const info = await maker.clip({ camera: 'gate', event, startedAt: new Date(base), lastSeenAt: new Date(base + frames.length * 200) });
  await maker.stop();
  if (info === undefined) throw new Error('no clip made');
  return info;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe('fetching a clip over a real broker', () => {
  // With set_tcp_nodelay as config/mosquitto/mosquitto.conf ships it, and as mosquitto comes (a station's stock
  // broker): without it the broker holds the station's next request ~44 ms behind every chunk's PUBACK, which the
  // agent's pacer once counted as wire time (1 KiB chunks, this clip in minutes; docs/clips.md, "A delay every chunk has").
  // The other cases below run mosquitto's default too (TestBroker without set_tcp_nodelay).
  it.each([
    { broker: 'set_tcp_nodelay true', listener: ['allow_anonymous true', 'set_tcp_nodelay true'] },
    { broker: "mosquitto's default (no set_tcp_nodelay)", listener: ['allow_anonymous true'] },
  ])('survives a broker kill, an agent kill -9 and a console restart, and the sha256 matches: $broker', async ({ listener }) => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    const clip = await makeClip(join(dataDir, 'clips'), 'gate-ev-kill');
    const broker = await TestBroker.start({ dir: join(dir, 'broker'), listener });
    cleanups.push(() => broker.stop());
    const config = join(dir, 'config.yaml');
    await writeFile(config, `host: {id: clip-host}\nmqtt: {url: "${broker.url}", reconnect: {min: 200ms, max: 1s}}\nstorage: {dataDir: "${dataDir}"}\n`
      + 'cameras:\n  - {id: gate, file: {path: /dev/null}, interval: 1s, detect: {enabled: false}}\n');
    const run = () => {
      const cli = startCli(['run', '--config', config, '--log-format', 'json']);
      cleanups.push(async () => { cli.child.kill('SIGKILL'); await cli.done; });
      return cli;
    };
    const first = run();
    await waitFor(() => first.output().stderr.includes('connected to the broker'), 20_000, 'the agent to connect');

    const saveDir = join(dir, 'station');
    const fetcherOptions = { broker: { url: broker.url }, connect: ports.mqtt, dir: saveDir, clock: ports.clock, logger: silentLogger(), chunkBytes: 4096, answerTimeoutMs: 2000 };
    const fetcher = new ClipFetcher(fetcherOptions);
    await fetcher.start();
    const part = `${fetcher.path('clip-host', 'gate-ev-kill')}.part`;
    const interrupted = fetcher.fetch('clip-host', 'gate-ev-kill', clip);
    await waitFor(() => size(part) >= 40 * 1024, 30_000, 'part of the clip to arrive');

    // Everything goes down mid-transfer: the broker, the agent (kill -9) and the console.
    await broker.kill();
    first.child.kill('SIGKILL');
    await first.done;
    await fetcher.stop();
    await expect(interrupted).rejects.toThrow();
    const kept = size(part);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(clip.bytes);

    await broker.restart();
    run();
    const again = new ClipFetcher(fetcherOptions);
    cleanups.push(() => again.stop());
    await again.start(); // resumes what the first console left in `.part`
    const saved = again.path('clip-host', 'gate-ev-kill');
    await waitFor(() => existsSync(saved), 120_000, 'the resumed clip');
    expect(statSync(saved).size).toBe(clip.bytes);
    expect(sha256(saved)).toBe(clip.sha256);
    expect(existsSync(part)).toBe(false);
  }, 240_000);

  it('an alert raised during a transfer reaches the station before the transfer ends, behind at most one chunk', async () => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    const clip = await makeClip(join(dataDir, 'clips'), 'gate-ev-alert');
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const config = testConfig({ host: 'alert-host', url: broker.url, dataDir });
    const link = new MqttStationLink({ config, ports, logger: silentLogger(), version: 'test' });
    const clips = new ClipMaker({
      settings: { ...DEFAULT_CLIPS, dir: join(dataDir, 'clips'), disk: dataDir, endAfter: 5000 },
      cameras: [], link, alerts: { raise: () => undefined, clear: () => undefined },
      fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
    });
    await link.start();
    await clips.start();
    cleanups.push(async () => { await clips.stop(); await link.stop(); });
    const station = await Station.connect(broker.url, ['minwang/alert-host/health', 'minwang/alert-host/cmd/events/clip/response']);
    cleanups.push(() => station.close());
    await waitFor(() => link.state().connected, 10_000, 'the link');

    const fetcher = new ClipFetcher({ broker: { url: broker.url }, connect: ports.mqtt, dir: join(dir, 'station'), clock: ports.clock, logger: silentLogger(), chunkBytes: 4096 });
    await fetcher.start();
    cleanups.push(() => fetcher.stop());
    const done = fetcher.fetch('alert-host', 'gate-ev-alert', clip);
    const answers = () => station.received.filter((m) => m.topic.endsWith('/response'));
    await waitFor(() => answers().length >= 20, 30_000, 'the transfer to be under way');
    const alert: HealthBody = {
      ts: new Date().toISOString(), id: 'h-during-clip', kind: 'tamper', state: 'raised', subject: 'host', severity: 'critical', message: 'the cabinet was opened',
    };
    const before = station.received.length;
    await link.publishHealth(alert);
    const path = await done;
    expect(sha256(path)).toBe(clip.sha256);
    const order = station.received.slice(before).map((m) => (m.topic.endsWith('/health') ? 'alert' : 'chunk'));
    const alertAt = order.indexOf('alert');
    expect(alertAt).toBeGreaterThanOrEqual(0);
    // At most the one chunk already handed to the broker went before it; the transfer went on after it.
    expect(alertAt).toBeLessThanOrEqual(1);
    expect(order.slice(alertAt + 1)).toContain('chunk');
  }, 120_000);

  it('minwang console --save fetches the clip an end announces beside the thumbnails, and events/query returns the clip', async () => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    const clip = await makeClip(join(dataDir, 'clips'), 'gate-ev-save');
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const link = new MqttStationLink({ config: testConfig({ host: 'save-host', url: broker.url, dataDir }), ports, logger: silentLogger(), version: 'test' });
    const clips = new ClipMaker({
      settings: { ...DEFAULT_CLIPS, dir: join(dataDir, 'clips'), disk: dataDir, endAfter: 5000 },
      cameras: [], link, alerts: { raise: () => undefined, clear: () => undefined },
      fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
    });
    await link.start();
    await clips.start();
    cleanups.push(async () => { await clips.stop(); await link.stop(); });
    const saveDir = join(dir, 'saved');
    const app = new ConsoleApp(
      { broker: { url: broker.url }, staleAfterMs: 90_000, terminal: null, saveDir, web: null },
      { clock: ports.clock, mqtt: ports.mqtt, logger: silentLogger() },
    );
    await app.startOutputs();
    await app.connect();
    cleanups.push(() => app.stop());
    await waitFor(() => link.state().connected, 10_000, 'the link');

    const now = new Date().toISOString();
    await link.publishEvent({
      ts: now, id: 'gate-ev-save', type: 'end', camera: 'gate', label: 'person', score: 0.8, box: [0.1, 0.1, 0.3, 0.6], zones: [],
      startedAt: now, endedAt: now, thumbnail: false, alert: true, reason: 'gone', clip,
    });
    const saved = join(saveDir, 'save-host', 'clips', 'gate-ev-save.mp4');
    await waitFor(() => existsSync(saved), 60_000, 'the saved clip');
    expect(sha256(saved)).toBe(clip.sha256);

    const station = await Station.connect(broker.url, ['minwang/save-host/cmd/events/query/response']);
    cleanups.push(() => station.close());
    await station.client.publishAsync('minwang/save-host/cmd/events/query', JSON.stringify({ id: 'q1' }), { qos: 1 });
    await station.waitFor((r) => r.length > 0, 10_000, 'the query answer');
    const answer = station.received[0]?.json() as { data: { events: { id: string; clip?: unknown }[] } };
    expect(answer.data.events.find((e) => e.id === 'gate-ev-save')?.clip).toEqual(clip);
  }, 120_000);

  it('with clips.push, an alerting event\'s clip reaches a saving console unasked, verified', async () => {
    const dir = await tempDir();
    const dataDir = join(dir, 'data');
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const link = new MqttStationLink({ config: testConfig({ host: 'push-host', url: broker.url, dataDir }), ports, logger: silentLogger(), version: 'test' });
    const clips = new ClipMaker({
      settings: { ...DEFAULT_CLIPS, preRoll: 0, postRoll: 0, push: true, dir: join(dataDir, 'clips'), disk: dataDir, endAfter: 0 },
      cameras: [{ id: 'gate', privacyMasks: [] }], link, alerts: { raise: () => undefined, clear: () => undefined },
      fs: ports.fs, processes: ports.processes, clock: ports.clock, logger: silentLogger(),
    });
    await link.start();
    await clips.start();
    cleanups.push(async () => { await clips.stop(); await link.stop(); });
    const station = await Station.connect(broker.url, ['minwang/push-host/cmd/events/clip', 'minwang/push-host/events/+/clip']);
    cleanups.push(() => station.close());
    const fetcher = new ClipFetcher({ broker: { url: broker.url }, connect: ports.mqtt, dir: join(dir, 'station'), clock: ports.clock, logger: silentLogger() });
    await fetcher.start();
    cleanups.push(() => fetcher.stop());
    await waitFor(() => link.state().connected, 10_000, 'the link');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the fetcher's subscription

    const base = Date.now() - 60_000;
    for (const [i, jpeg] of frames.entries()) clips.frame({ camera: 'gate', capturedAt: new Date(base + i * 200), mono: 0, jpeg });
    const clip = await clips.clip({ camera: 'gate', event: 'gate-ev-push', startedAt: new Date(base), lastSeenAt: new Date(base + frames.length * 200), alert: true });
    expect(clip).toBeDefined();
    const saved = fetcher.path('push-host', 'gate-ev-push');
    await waitFor(() => existsSync(saved), 60_000, 'the pushed clip to be saved');
    expect(sha256(saved)).toBe(clip?.sha256);
    expect(station.on('minwang/push-host/cmd/events/clip')).toEqual([]); // never asked
    // Sized to the link's measured speed: 1 KiB before any measurement, then up to PUSH_CHUNK (loopback is fast), back to back.
    const pushed = station.on('minwang/push-host/events/gate-ev-push/clip').map((m) => m.json() as { offset: number; length: number });
    expect(pushed[0]).toMatchObject({ offset: 0, length: MIN_CHUNK_BYTES });
    expect(pushed.every((c, i) => c.length <= PUSH_CHUNK && c.offset === (i === 0 ? 0 : (pushed[i - 1]?.offset ?? 0) + (pushed[i - 1]?.length ?? 0)))).toBe(true);
    expect(pushed.some((c) => c.length === PUSH_CHUNK)).toBe(true);
    expect((pushed.at(-1)?.offset ?? 0) + (pushed.at(-1)?.length ?? 0)).toBe(clip?.bytes);
  }, 120_000);
});
