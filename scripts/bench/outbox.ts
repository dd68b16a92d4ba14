/**
 * Outbox figures: events queued per second with fsync (one producer awaiting each event, and
 * eight producers at once, as cameras are), and the drain of 10,000 events queued during an
 * outage to a real mosquitto, checked for order. Needs /usr/sbin/mosquitto.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseConfigText } from '../../agent/config/load.js';
import type { EventBody } from '../../agent/link/contract/v1.js';
import { silentLogger } from '../../agent/core/logger.js';
import { MqttStationLink } from '../../agent/link/mqtt/link.js';
import { freePort } from '../../test/helpers/mosquitto.js';
import { Outbox } from '../../agent/link/outbox/outbox.js';
import { systemClock } from '../../agent/ports/clock.js';
import { realFileSystem } from '../../agent/ports/fs.js';
import { realMqttConnector } from '../../agent/ports/mqtt.js';

const DRAIN_EVENTS = 10_000;
const SUSTAIN_MS = 3000;

function event(i: number): EventBody {
  const ts = new Date().toISOString();
  return { ts, id: `bench-${i}`, type: 'update', camera: `cam-${i % 8}`, label: 'person', score: 0.77, box: [0.12, 0.2, 0.31, 0.66], zones: ['gate'], startedAt: ts, thumbnail: false };
}

async function sustained(dir: string, producers: number): Promise<number> {
  const outbox = new Outbox({ fs: realFileSystem, dir, clock: systemClock, logger: silentLogger(), limits: { maxBytes: 1024 ** 3, maxMessages: 10_000_000 } });
  await outbox.open();
  let queued = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: producers }, async () => {
    while (performance.now() - started < SUSTAIN_MS) {
      await outbox.enqueue({ kind: 'event', topic: 'minwang/bench/events', body: { ...event(queued) }, sequenced: true });
      queued++;
    }
  }));
  const rate = queued / ((performance.now() - started) / 1000);
  await outbox.close();
  return Math.round(rate);
}


function link(dataDir: string, port: number): MqttStationLink {
  const config = parseConfigText(`host: {id: bench}\nmqtt: {url: "mqtt://127.0.0.1:${port}", reconnect: {min: 100ms, max: 1s}}\nstorage: {dataDir: "${dataDir}"}\noutbox: {historicalAfter: 1s}\n`, 'bench.yaml');
  return new MqttStationLink({ config, ports: { clock: systemClock, fs: realFileSystem, mqtt: realMqttConnector }, logger: silentLogger(), version: 'bench' });
}

async function drain(dir: string): Promise<Record<string, unknown>> {
  const port = await freePort();
  const dataDir = join(dir, 'data');
  const offline = link(dataDir, port);
  await offline.start();
  const queueStarted = performance.now();
  for (let i = 0; i < DRAIN_EVENTS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) => offline.publishEvent(event(i + k))));
  }
  const queueSeconds = (performance.now() - queueStarted) / 1000;
  await offline.stop();

  const conf = join(dir, 'mosquitto.conf');
  await writeFile(conf, `user root\nlistener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n`);
  const broker = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const station = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5 });
    const seqs: number[] = [];
    let historical = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => { done = resolve; });
    station.on('message', (_topic, payload) => {
      const message = JSON.parse(payload.toString()) as { seq: number; historical?: boolean };
      seqs.push(message.seq);
      if (message.historical === true) historical++;
      if (seqs.length === DRAIN_EVENTS) done();
    });
    await station.subscribeAsync('minwang/bench/events', { qos: 1 });
    const online = link(dataDir, port);
    const drainStarted = performance.now();
    await online.start();
    await all;
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await online.stop();
    await station.endAsync();
    return {
      queuedPerSecond: Math.round(DRAIN_EVENTS / queueSeconds),
      drained: seqs.length,
      drainSeconds: Math.round(drainSeconds * 100) / 100,
      drainedPerSecond: Math.round(DRAIN_EVENTS / drainSeconds),
      inOrder: seqs.every((seq, i) => seq === i),
      historical,
    };
  } finally {
    broker.kill('SIGKILL');
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'minwang-bench-outbox-'));
  try {
    const oneProducer = await sustained(join(dir, 'one'), 1);
    const eightProducers = await sustained(join(dir, 'eight'), 8);
    return { target: '>= 200 events/s with fsync; 10000 queued events drained in order', eventsPerSecondOneProducer: oneProducer, eventsPerSecondEightProducers: eightProducers, drain: await drain(dir) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
