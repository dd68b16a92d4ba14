import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RtspRelay, publishVideo } from '../../../../agent/field/sim/rtsp-relay.js';
import { BIN, waitFor } from '../../../helpers/cli.js';
import { footage } from '../../../helpers/footage.js';
import { TestBroker } from '../../../helpers/mosquitto.js';
import { Station } from '../../../helpers/station.js';
import { tempDir } from '../../../helpers/tmp.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A private mount namespace where `dir` is a read-only bind mount: a clips disk remounted read-only, for real. */
const canUnshare = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp && ! touch /tmp/.minwang-ro-check']).status === 0;

describe('a read-only clips disk', () => {
  it.skipIf(!canUnshare)('is a disk_readonly health alert on the clips dir, and the agent keeps sampling its RTSP camera', async () => {
    const dir = await tempDir();
    const clipsDir = join(dir, 'clips-usb');
    await mkdir(clipsDir);
    const broker = await TestBroker.start({ dir: join(dir, 'broker') });
    cleanups.push(() => broker.stop());
    const relay = new RtspRelay();
    const rtspPort = await relay.start();
    const publisher = publishVideo(footage('opencv/vtest.avi'), rtspPort);
    cleanups.push(async () => { publisher.kill('SIGKILL'); await relay.stop(); });
    await waitFor(() => relay.publishing, 15_000, 'ffmpeg to publish to the relay');
    const station = await Station.connect(broker.url, ['minwang/ro-host/#']);
    cleanups.push(() => station.close());

    const config = join(dir, 'config.yaml');
    await writeFile(config, [
      'host: {id: ro-host}',
      `mqtt: {url: "${broker.url}"}`,
      `storage: {dataDir: "${join(dir, 'data')}"}`,
      `clips: {dir: "${clipsDir}"}`,
      'health: {probeInterval: 5s}',
      'cameras:',
      `  - {id: lane, rtsp: {url: "rtsp://127.0.0.1:${rtspPort}/live"}, interval: 500ms, timeout: 2s, detect: {enabled: false}}`,
      '',
    ].join('\n'));
    const script = `mount --bind '${clipsDir}' '${clipsDir}' && mount -o remount,bind,ro '${clipsDir}' && exec '${process.execPath}' '${BIN}' run --config '${config}' --log-format json`;
    const agent: ChildProcess = spawn('unshare', ['-m', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise((resolve) => agent.on('close', resolve));
    cleanups.push(async () => { agent.kill('SIGKILL'); await exited; });

    const health = () => station.on('minwang/ro-host/health').map((m) => m.json());
    await station.waitFor(() => health().some((h) => h['kind'] === 'disk_readonly' && h['subject'] === clipsDir && h['state'] === 'raised'), 30_000, `disk_readonly on ${clipsDir}`);
    const camera = () => station.on('minwang/ro-host/camera/lane/status').at(-1)?.json();
    await station.waitFor(() => camera()?.['state'] === 'online', 30_000, 'the RTSP camera online');
    expect(agent.exitCode).toBeNull();
    expect(stderr).not.toMatch(/"level":60/); // nothing fatal
    agent.kill('SIGTERM');
    await exited;
    expect(agent.exitCode).toBe(0);
  }, 90_000);
});
