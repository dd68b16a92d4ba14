import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../../../helpers/cli.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('minwang run with the MQTT link', () => {
  it('goes online on its broker, answers ping, and says stopped on SIGTERM', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const station = await Station.connect(broker.url, ['minwang/run-host/#']);
    cleanups.push(() => station.close());
    const config = join(dir, 'config.yaml');
    await writeFile(config, `host: {id: run-host}\nmqtt: {url: "${broker.url}"}\nstorage: {dataDir: "${join(dir, 'data')}"}\n`);
    const cli = startCli(['run', '--config', config, '--log-format', 'json']);
    cleanups.push(async () => { cli.child.kill('SIGKILL'); await cli.done; });

    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/run-host/status' && m.json()['state'] === 'online'), 15_000, 'online');
    await station.client.publishAsync('minwang/run-host/cmd/ping', JSON.stringify({ id: 'p1' }), { qos: 1 });
    await station.waitFor((r) => r.some((m) => m.topic === 'minwang/run-host/cmd/ping/response'), 10_000, 'the ping answer');
    expect(station.on('minwang/run-host/cmd/ping/response')[0]?.json()).toMatchObject({ id: 'p1', status: 'ok', data: { host: 'run-host', session: 1 } });

    cli.child.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(0);
    await waitFor(() => station.on('minwang/run-host/status').some((m) => m.json()['state'] === 'stopped'), 5000, 'stopped');
    expect(station.on('minwang/run-host/status').map((m) => m.json()['state'])).toEqual(['online', 'stopped']);
  });

  it('leaves a retained offline will with its session when killed, and comes back with a higher session', async () => {
    const dir = await tempDir();
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const config = join(dir, 'config.yaml');
    await writeFile(config, `host: {id: will-host}\nmqtt: {url: "${broker.url}", keepalive: 1s}\nstorage: {dataDir: "${join(dir, 'data')}"}\n`);
    const first = startCli(['run', '--config', config, '--log-format', 'json']);
    cleanups.push(async () => { first.child.kill('SIGKILL'); await first.done; });
    await waitFor(() => first.output().stderr.includes('connected to the broker'), 15_000, 'the agent to connect');
    first.child.kill('SIGKILL');
    await first.done;

    // A station that comes later sees the retained will: offline, session 1.
    const late = await Station.connect(broker.url, []);
    cleanups.push(() => late.close());
    await late.client.subscribeAsync('minwang/will-host/status', { qos: 1 });
    await late.waitFor((r) => r.some((m) => m.json()['state'] === 'offline'), 10_000, 'the will');
    expect(late.received.at(-1)).toMatchObject({ retain: true });
    expect(late.received.at(-1)?.json()).toMatchObject({ state: 'offline', session: 1 });

    const second = startCli(['run', '--config', config, '--log-format', 'json']);
    cleanups.push(async () => { second.child.kill('SIGKILL'); await second.done; });
    await late.waitFor((r) => r.some((m) => m.json()['state'] === 'online'), 15_000, 'online again');
    expect(late.received.at(-1)?.json()).toMatchObject({ state: 'online', session: 2 });
  });
});
