import { MemoryStationLink } from '../../fakes/memory-link.js';
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { createAgent, buildModules } from '../../../agent/app/agent.js';
import type { CameraPipeline } from '../../../agent/app/camera-pipeline.js';
import type { DetectorPool } from '../../../agent/edge/detection/pool.js';
import { Lifecycle } from '../../../agent/core/lifecycle.js';
import { silentLogger } from '../../../agent/core/logger.js';
import type { Module } from '../../../agent/core/module.js';
import { FakeClock } from '../../fakes/clock.js';
import { parseConfigText } from '../../../agent/config/load.js';
import { realHostPorts } from '../../../agent/ports/index.js';
import { tempDir } from '../../helpers/tmp.js';

function recorder() {
  const calls: string[] = [];
  const module = (name: string, behaviour: { failStart?: boolean; hangStop?: boolean } = {}): Module => ({
    name,
    start() {
      calls.push(`start ${name}`);
      return behaviour.failStart === true ? Promise.reject(new Error('camera on fire')) : Promise.resolve();
    },
    stop() {
      calls.push(`stop ${name}`);
      return behaviour.hangStop === true ? new Promise(() => undefined) : Promise.resolve();
    },
  });
  return { calls, module };
}

describe('lifecycle', () => {
  it('starts modules in order and stops them in reverse', async () => {
    const { calls, module } = recorder();
    const life = new Lifecycle([module('a'), module('b'), module('c')], { clock: new FakeClock(), logger: silentLogger(), stopTimeoutMs: 1000 });
    await life.start();
    expect(await life.stop()).toEqual([]);
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(await life.stop()).toEqual([]);
    expect(calls).toHaveLength(6);
  });

  it('stops what had started when a later module fails to start', async () => {
    const { calls, module } = recorder();
    const life = new Lifecycle([module('a'), module('b'), module('c', { failStart: true }), module('d')], {
      clock: new FakeClock(), logger: silentLogger(), stopTimeoutMs: 1000,
    });
    await expect(life.start()).rejects.toThrow('c failed to start: camera on fire');
    expect(calls).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('abandons a module that does not stop in time and still stops the rest', async () => {
    const { calls, module } = recorder();
    const clock = new FakeClock();
    const life = new Lifecycle([module('a'), module('stuck', { hangStop: true }), module('c')], { clock, logger: silentLogger(), stopTimeoutMs: 2000 });
    await life.start();
    const stopping = life.stop();
    await clock.advance(1999);
    expect(calls).toEqual(['start a', 'start stuck', 'start c', 'stop c', 'stop stuck']);
    await clock.advance(1);
    expect(await stopping).toEqual(['stuck']);
    expect(calls.at(-1)).toBe('stop a');
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('composition root', () => {
  it('builds the agent from config and host ports, and runs it against a real data dir', async () => {
    const dir = await tempDir();
    const config = parseConfigText(`host: {id: h1}\nmqtt: {url: mqtt://127.0.0.1}\nstorage: {dataDir: ${dir}/data}\n`, 'c.yaml');
    const deps = { config, ports: { ...realHostPorts(), clock: new FakeClock() }, logger: silentLogger() };
    expect(buildModules(deps).map((m) => m.name)).toEqual(['data-dir', 'mqtt-link', 'health', 'heartbeat', 'patrol', 'schedule', 'watchdog']);
    const agent = createAgent(deps);
    await agent.start();
    expect(await agent.stop()).toEqual([]);
  });

  it('puts the model updater before the detector and gives the heartbeat its model version', async () => {
    const dir = await tempDir();
    const config = parseConfigText(`host: {id: h1}\nmqtt: {url: mqtt://127.0.0.1}\nstorage: {dataDir: ${dir}/data}\ncameras:\n  - id: gate\n    snapshot: {url: http://192.168.1.64/snap.jpg}\n    detect: {enabled: true}\n`, 'c.yaml');
    const link = new MemoryStationLink();
    const modules = buildModules({ config, ports: { ...realHostPorts(), clock: new FakeClock() }, logger: silentLogger(), link });
    const names = modules.map((m) => m.name);
    expect(names.indexOf('model-update')).toBe(names.indexOf('detector') - 1);
    const byName = (name: string) => modules.find((m) => m.name === name);
    // Only the updater and the heartbeat: no model is loaded here.
    await byName('model-update')?.start();
    await byName('heartbeat')?.start();
    expect(link.heartbeat?.['model']).toEqual({ version: 'nanodet@0' });
    expect(link.model?.installed).toMatchObject({ id: 'nanodet', version: 0 });
    expect(link.ops()).toEqual(expect.arrayContaining(['model/install', 'model/install/chunk', 'model/rollback']));
    await byName('heartbeat')?.stop();
  });

  it('feeds every detector worker: the hand-off runs one lane per worker and one waiting at the pool', () => {
    const lanes = (detector: string) => {
      const config = parseConfigText(`host: {id: h1}\nmqtt: {url: mqtt://127.0.0.1}\nstorage: {dataDir: /nonexistent}\n${detector}cameras:\n  - id: gate\n    snapshot: {url: http://192.168.1.64/snap.jpg}\n`, 'c.yaml');
      let pipeline: CameraPipeline | undefined;
      let pool: DetectorPool | undefined;
      buildModules({
        config, ports: { ...realHostPorts(), clock: new FakeClock() }, logger: silentLogger(), link: new MemoryStationLink(),
        onCameraPipeline: (p) => { pipeline = p; }, onDetectorPool: (p) => { pool = p; },
      });
      return { lanes: pipeline?.handoff.lanes, workers: pool?.size };
    };
    // `detector.workers` unset: one worker per core, and the hand-off must use them all.
    expect(lanes('')).toEqual({ lanes: availableParallelism() + 1, workers: availableParallelism() });
    expect(lanes('detector: {workers: 3}\n')).toEqual({ lanes: 4, workers: 3 });
  });
});
