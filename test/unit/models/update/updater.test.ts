import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelsSchema } from '../../../../agent/config/sections/models.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { topic, type HealthKind, type ModelPayload } from '../../../../agent/link/contract/v1.js';
import { parseMessage } from '../../../../agent/station/messages.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { SlotStore, type ModelTarget } from '../../../../agent/models/update/slots.js';
import { ModelUpdater, type SelfTestOutcome } from '../../../../agent/models/update/updater.js';
import { sha256Of } from '../../../../agent/models/store.js';
import { FakeClock } from '../../../fakes/clock.js';
import type { Http } from '../../../../agent/ports/http.js';
import { realFileSystem, type FileSystem } from '../../../../agent/ports/fs.js';
import type { DetectionResult, Detector } from '../../../../agent/edge/types.js';
import { testKey, tinyBundle, writeTinyModelDir, type TestKey } from '../../../helpers/model-bundles.js';
import { tempDir } from '../../../helpers/tmp.js';

const maintainer = testKey();
const CHUNK = 700;

interface Harness {
  updater: ModelUpdater;
  link: MemoryStationLink;
  /** The health alerts the updater raised, in order. */
  raised: { kind: HealthKind; subject: string; message: string }[];
  cleared: { kind: HealthKind; subject: string }[];
  updates: ModelPayload[];
  activated: ModelTarget[];
  selfTests: ModelTarget[];
  root: string;
  packagedRoot: string;
  /** Answers a command as the dispatcher would: parameters validated first. */
  command(op: string, params: Record<string, unknown>): Promise<unknown>;
}

async function harness(options: { clock?: FakeClock; dir?: string; http?: Http; fs?: FileSystem; selfTest?: (t: ModelTarget) => SelfTestOutcome; trial?: number; activate?: (t: ModelTarget) => void } = {}): Promise<Harness> {
  const dir = options.dir ?? await tempDir();
  const packagedRoot = join(dir, 'packaged');
  await writeTinyModelDir(packagedRoot, 'tiny');
  const link = new MemoryStationLink();
  const updates: ModelPayload[] = [];
  const setModel = link.setModel.bind(link);
  link.setModel = (model) => { updates.push(model); setModel(model); };
  const activated: ModelTarget[] = [];
  const selfTests: ModelTarget[] = [];
  const root = join(dir, 'data', 'models');
  const raised: Harness['raised'] = [];
  const cleared: Harness['cleared'] = [];
  const updater = new ModelUpdater({
    fs: options.fs ?? realFileSystem, health: { raise: (kind, subject, { message }) => raised.push({ kind, subject, message }), clear: (kind, subject) => cleared.push({ kind, subject }) }, root, link, logger: silentLogger(), clock: options.clock ?? new FakeClock(new Date('2026-06-01T00:00:00Z')),
    http: options.http ?? { fetch: () => Promise.reject(new Error('no network in this test')) },
    config: modelsSchema.parse({ trustedKeys: [maintainer.publicKey], allowedOrigins: ['https://models.example.org'], maxBundleBytes: '1MiB', trial: { inferences: options.trial ?? 3 } }),
    agentVersion: '0.1.0',
    packaged: { slot: null, id: 'tiny', bundleVersion: 0, sha256: 'a'.repeat(64), modelsRoot: packagedRoot },
    selfTest: (target) => { selfTests.push(target); return Promise.resolve(options.selfTest?.(target) ?? { ok: true, problems: [] }); },
    activate: (target) => { options.activate?.(target); activated.push(target); return Promise.resolve(); },
  });
  await updater.start();
  const command = (op: string, params: Record<string, unknown>) => link.command(op, params);
  return { updater, link, raised, cleared, updates, activated, selfTests, root, packagedRoot, command };
}

async function sendChunks(h: Harness, bundle: Buffer, transfer = 't1'): Promise<unknown[]> {
  const total = Math.ceil(bundle.length / CHUNK);
  const answers: unknown[] = [];
  for (let index = 0; index < total; index++) {
    const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
    answers.push(await h.command('model/install/chunk', { transfer, index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') }));
  }
  await h.updater.idle();
  return answers;
}

function fakeDetector(fail: () => boolean, ms: () => number = () => 10): Detector {
  return { detect: () => (fail() ? Promise.reject(new Error('graph exploded')) : Promise.resolve({ width: 1, height: 1, ms: ms(), detections: [] } as DetectionResult)) };
}

async function infer(detector: Detector, times: number): Promise<number> {
  let failures = 0;
  for (let i = 0; i < times; i++) await detector.detect(Buffer.alloc(1)).catch(() => { failures += 1; });
  return failures;
}

async function installV(h: Harness, version: number, key: TestKey = maintainer, extra: { rollback?: boolean } = {}): Promise<void> {
  await sendChunks(h, tinyBundle({ key, bundleVersion: version, ...extra }), `v${version}`);
}

describe('model updater', () => {
  it('starts on the packaged model and publishes it', async () => {
    const h = await harness();
    expect(h.activated).toEqual([{ modelsRoot: h.packagedRoot, modelId: 'tiny' }]);
    expect(h.link.model?.installed).toEqual({ id: 'tiny', version: 0, sha256: 'a'.repeat(64) });
    expect(h.updater.modelVersion()).toBe('tiny@0');
  });

  it('installs a bundle sent in acknowledged chunks: verifies, self-tests, switches and reports progress', async () => {
    const h = await harness();
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 2 });
    const answers = await sendChunks(h, bundle);
    expect(answers.at(-1)).toEqual({ transfer: 't1', received: answers.length, total: answers.length });
    expect(h.selfTests).toHaveLength(1);
    expect(h.activated.at(-1)).toEqual(h.selfTests[0]);
    expect(await readFile(join(h.activated.at(-1)?.modelsRoot ?? '', 'tiny', 'files', 'weights.bin'), 'utf8')).toBe('weights v2');
    const states = h.updates.map((u) => u.update?.state);
    expect(states).toContain('downloading');
    expect(states.slice(-3)).toEqual(['verifying', 'testing', 'active']);
    expect(h.link.model?.installed).toEqual({ id: 'tiny', version: 2, sha256: sha256Of(bundle) });
    expect(h.updater.modelVersion()).toBe('tiny@2');
  });

  it('reports download progress as 0..1, the scale the station reads', async () => {
    const h = await harness();
    await sendChunks(h, tinyBundle({ key: maintainer, bundleVersion: 2 }));
    const progress = h.updates.flatMap((u) => (u.update?.progress === undefined ? [] : [u.update.progress]));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => p >= 0 && p <= 1 && p >= (progress[i - 1] ?? 0))).toBe(true);
    for (const update of h.updates) {
      const parsed = parseMessage(topic.model('h1'), Buffer.from(JSON.stringify(update)));
      expect(parsed.ok ? parsed.message : parsed.error).toMatchObject({ kind: 'model' });
    }
  });

  it('acknowledges a repeated chunk without appending it twice and refuses one out of order', async () => {
    const h = await harness();
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 2 });
    const total = Math.ceil(bundle.length / CHUNK);
    const chunk = (index: number) => {
      const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
      return { transfer: 'r', index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') };
    };
    await h.command('model/install/chunk', chunk(0));
    expect(await h.command('model/install/chunk', chunk(0))).toEqual({ transfer: 'r', received: 1, total });
    await expect(h.command('model/install/chunk', chunk(2))).rejects.toThrow(/expected chunk 1/);
    await expect(h.command('model/install/chunk', { ...chunk(1), sha256: '0'.repeat(64) })).rejects.toThrow(/does not match its sha256/);
    for (let i = 1; i < total; i++) await h.command('model/install/chunk', chunk(i));
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@2');
  });

  it('appends a chunk sent twice at once (two request ids) only once, so the install succeeds', async () => {
    const h = await harness();
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 2 });
    const total = Math.ceil(bundle.length / CHUNK);
    const chunk = (index: number) => {
      const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
      return { transfer: 'dup', index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') };
    };
    for (let i = 0; i < total; i++) {
      const answers = await Promise.all([h.command('model/install/chunk', chunk(i)), h.command('model/install/chunk', chunk(i))]);
      expect(answers[1]).toEqual({ transfer: 'dup', received: i + 1, total });
    }
    await h.updater.idle();
    expect(h.link.model?.update?.state).toBe('active');
    expect(h.updater.modelVersion()).toBe('tiny@2');
  });

  it('removes incoming bundles left by an earlier run when it starts', async () => {
    const dir = await tempDir();
    await harness({ dir });
    const root = join(dir, 'data', 'models');
    await writeFile(join(root, 'incoming-t9.bundle'), 'half a bundle');
    await writeFile(join(root, 'incoming-5d1c.bundle'), 'half a download');
    await harness({ dir });
    expect((await readdir(root)).filter((n) => n.startsWith('incoming-'))).toEqual([]);
  });

  it('gives up a stalled download at its deadline, so installs and rollbacks are not busy forever', async () => {
    const clock = new FakeClock(new Date('2026-06-01T00:00:00Z'));
    // A server from an allowed origin that sends a little and then nothing, holding the connection open.
    let fetched: () => void = () => undefined;
    const started = new Promise<void>((resolve) => { fetched = resolve; });
    const stalled: Http = {
      fetch: (_url, init) => (fetched(), Promise.resolve(new Response(new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(100));
          init?.signal?.addEventListener('abort', () => controller.error(new Error('aborted')));
        },
      }), { status: 200, headers: { 'content-length': '5000' } }))),
    };
    const h = await harness({ clock, http: stalled, trial: 1 });
    await h.command('model/install', { url: 'https://models.example.org/stalled.bundle' });
    await started; // the request is out (the file check before it is real disk I/O, not fake time)
    await clock.advance(59 * 60_000);
    await expect(h.command('model/rollback', {})).rejects.toMatchObject({ code: 'busy' });
    await clock.advance(60_000);
    await h.updater.idle();
    expect(h.link.model?.update).toMatchObject({ state: 'failed', error: expect.stringMatching(/did not finish in time/) as unknown });
    await expect(h.command('model/rollback', {})).rejects.toThrow(/no previous model/);
    expect((await readdir(h.root)).filter((n) => n.startsWith('incoming-'))).toEqual([]);
  });

  it('refuses a second install while a transfer runs', async () => {
    const h = await harness();
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 2 });
    const data = bundle.subarray(0, CHUNK);
    await h.command('model/install/chunk', { transfer: 'a', index: 0, total: 9, sha256: sha256Of(data), dataBase64: data.toString('base64') });
    await expect(h.command('model/install/chunk', { transfer: 'b', index: 0, total: 9, sha256: sha256Of(data), dataBase64: data.toString('base64') })).rejects.toMatchObject({ code: 'busy' });
    await expect(h.command('model/install', { url: 'https://models.example.org/b.bundle' })).rejects.toMatchObject({ code: 'busy' });
  });

  it.each([
    ['an unknown key', () => tinyBundle({ key: testKey(), bundleVersion: 2 }), /not among the trusted keys/],
    ['a flipped byte in the weights', () => { const b = tinyBundle({ key: maintainer, bundleVersion: 2 }); const at = b.lastIndexOf(Buffer.from('weights v2')); b[at] = 0x57; return b; }, /weights.bin has sha256/],
    ['a bad signature', () => { const b = tinyBundle({ key: maintainer, bundleVersion: 2 }); b.write('"bundleVersion":3', b.indexOf(Buffer.from('"bundleVersion":2'))); return b; }, /signature does not verify/],
  ])('refuses %s with its reason and changes nothing', async (_what, make, reason) => {
    const h = await harness();
    await expect(sendChunks(h, make())).resolves.toBeDefined();
    expect(h.link.model?.update).toMatchObject({ state: 'failed', error: expect.stringMatching(reason) as unknown });
    expect(h.selfTests).toHaveLength(0);
    expect(h.activated).toHaveLength(1);
    expect(h.updater.modelVersion()).toBe('tiny@0');
    expect(await readdir(h.root)).toEqual(['state.json']);
  });

  it('refuses a chunked bundle over the byte cap and forgets the transfer', async () => {
    const h = await harness();
    const big = Buffer.alloc(600 * 1024, 1);
    const chunk = { transfer: 'big', total: 3, sha256: sha256Of(big), dataBase64: big.toString('base64') };
    await h.command('model/install/chunk', { ...chunk, index: 0 });
    await expect(h.command('model/install/chunk', { ...chunk, index: 1 })).rejects.toThrow(/over the cap/);
    expect(h.link.model?.update?.state).toBe('failed');
    expect(await readdir(h.root)).toEqual(['state.json']);
  });

  it('refuses an older version, also after a restart, unless signed as a rollback', async () => {
    const dir = await tempDir();
    const first = await harness({ dir, trial: 1 });
    await installV(first, 5);
    await installV(first, 4);
    expect(first.link.model?.update).toMatchObject({ state: 'failed', error: expect.stringMatching(/version 4 is not above the installed version 5/) as unknown });
    const restarted = await harness({ dir });
    expect(restarted.updater.modelVersion()).toBe('tiny@5');
    await installV(restarted, 5);
    expect(restarted.link.model?.update?.error).toMatch(/version 5 is not above/);
    await installV(restarted, 3, maintainer, { rollback: true });
    expect(restarted.updater.modelVersion()).toBe('tiny@3');
  });

  it('rolls back a bundle that fails its self-test, with a health alert, and keeps the old model', async () => {
    const h = await harness({ selfTest: () => ({ ok: false, problems: ['expected at least 1 person, found 0'] }) });
    await installV(h, 2);
    expect(h.link.model?.update).toMatchObject({ state: 'rolled_back', version: 2, error: expect.stringMatching(/self-test failed: expected at least 1 person/) as unknown });
    expect(h.raised).toMatchObject([{ kind: 'model_rollback', subject: 'model' }]);
    expect(h.activated).toHaveLength(1);
    expect(h.updater.modelVersion()).toBe('tiny@0');
    expect(await readdir(join(h.root, 'slots'))).toEqual([]);
  });

  it('rolls back a model that starts throwing during its trial', async () => {
    let failing = false;
    const h = await harness({ trial: 5 });
    const detector = h.updater.watch(fakeDetector(() => failing));
    await infer(detector, 3);
    await installV(h, 2);
    expect(h.updater.modelVersion()).toBe('tiny@2');
    failing = true;
    expect(await infer(detector, 2)).toBe(2);
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@0');
    expect(h.activated.at(-1)).toEqual({ modelsRoot: h.packagedRoot, modelId: 'tiny' });
    expect(h.link.model?.update).toMatchObject({ state: 'rolled_back', version: 2, error: expect.stringMatching(/graph exploded/) as unknown });
    expect(h.raised.map((a) => a.kind)).toEqual(['model_rollback']);
  });

  it('rolls back a model slower than the bound once its trial inferences are in', async () => {
    let ms = 100;
    const h = await harness({ trial: 3 });
    const detector = h.updater.watch(fakeDetector(() => false, () => ms));
    await infer(detector, 5);
    await installV(h, 2);
    ms = 250;
    await infer(detector, 3);
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@0');
    expect(h.link.model?.update?.error).toMatch(/takes 250 ms per inference, over 2x the previous 100 ms/);
  });

  it('keeps a model within the speed bound', async () => {
    let ms = 100;
    const h = await harness({ trial: 3 });
    const detector = h.updater.watch(fakeDetector(() => false, () => ms));
    await infer(detector, 5);
    await installV(h, 2);
    ms = 190;
    await infer(detector, 3);
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@2');
    expect(h.raised).toEqual([]);
  });

  it('lets a new transfer replace one that went silent', async () => {
    const clock = new FakeClock(new Date('2026-06-01T00:00:00Z'));
    const h = await harness({ clock });
    const data = Buffer.from('x');
    const chunk = { index: 0, total: 9, sha256: sha256Of(data), dataBase64: data.toString('base64') };
    await h.command('model/install/chunk', { ...chunk, transfer: 'stuck' });
    await clock.advance(9 * 60_000);
    await expect(h.command('model/install/chunk', { ...chunk, transfer: 'next' })).rejects.toMatchObject({ code: 'busy' });
    await clock.advance(2 * 60_000);
    await expect(h.command('model/install/chunk', { ...chunk, transfer: 'next' })).resolves.toEqual({ transfer: 'next', received: 1, total: 9 });
  });

  it('commits after the trial inferences, and then a later error does not roll back', async () => {
    let failing = false;
    const dir = await tempDir();
    const h = await harness({ dir, trial: 3 });
    const detector = h.updater.watch(fakeDetector(() => failing));
    await installV(h, 2);
    await infer(detector, 3);
    await h.updater.idle();
    const state = JSON.parse(await readFile(join(h.root, 'state.json'), 'utf8')) as { trial: unknown };
    expect(state.trial).toBeNull();
    // A committed model ends any rollback condition on the host's alert board.
    expect(h.cleared).toEqual([{ kind: 'model_rollback', subject: 'model' }]);
    failing = true;
    await infer(detector, 1);
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@2');
  });

  it('goes back on model/rollback and says so', async () => {
    const h = await harness({ trial: 1 });
    await installV(h, 2);
    await installV(h, 3);
    await h.command('model/rollback', {});
    expect(h.updater.modelVersion()).toBe('tiny@2');
    expect(h.raised.at(-1)).toMatchObject({ kind: 'model_rollback' });
    await expect(h.command('model/rollback', {})).rejects.toThrow(/no previous model/);
  });

  it('rolls back after a crash loop: too many starts during a trial', async () => {
    const dir = await tempDir();
    const first = await harness({ dir });
    await installV(first, 2);
    let last = first;
    for (let boot = 0; boot < 4; boot++) last = await harness({ dir });
    expect(last.updater.modelVersion()).toBe('tiny@0');
    expect(last.raised.map((a) => a.kind)).toEqual(['model_rollback']);
  });

  it('keeps refusing older versions when state.json is lost or garbled', async () => {
    const dir = await tempDir();
    const first = await harness({ dir, trial: 1 });
    await installV(first, 5);
    await writeFile(join(first.root, 'state.json'), '{"current": nonsense');
    const restarted = await harness({ dir });
    expect(restarted.updater.modelVersion()).toBe('tiny@0');
    await installV(restarted, 4);
    expect(restarted.link.model?.update?.error).toMatch(/version 4 is not above the installed version 5/);
    const again = await harness({ dir });
    await installV(again, 5);
    expect(again.link.model?.update?.error).toMatch(/version 5 is not above the installed version 5/);
  });

  it('takes a chunk sent again after the disk refused to append it (ENOSPC)', async () => {
    let full = false;
    const fs: FileSystem = {
      ...realFileSystem,
      appendFile: ((...args: Parameters<FileSystem['appendFile']>) =>
        full ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })) : realFileSystem.appendFile(...args)),
    };
    const h = await harness({ fs });
    const bundle = tinyBundle({ key: maintainer, bundleVersion: 2 });
    const total = Math.ceil(bundle.length / CHUNK);
    const chunk = (index: number) => {
      const data = bundle.subarray(index * CHUNK, (index + 1) * CHUNK);
      return { transfer: 'f', index, total, sha256: sha256Of(data), dataBase64: data.toString('base64') };
    };
    await h.command('model/install/chunk', chunk(0));
    full = true;
    // The station sees only that the agent failed; the cause (ENOSPC) goes to the host log.
    await expect(h.command('model/install/chunk', chunk(1))).rejects.toThrow(/internal error/);
    full = false;
    for (let i = 1; i < total; i++) await h.command('model/install/chunk', chunk(i));
    await h.updater.idle();
    expect(h.updater.modelVersion()).toBe('tiny@2');
  });

  it('keeps the old model and reports failed when the disk is read-only while staging (EROFS)', async () => {
    let readOnly = false;
    const fs: FileSystem = {
      ...realFileSystem,
      writeFile: ((...args: Parameters<FileSystem['writeFile']>) =>
        readOnly ? Promise.reject(Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' })) : realFileSystem.writeFile(...args)),
    };
    const h = await harness({ fs });
    readOnly = true;
    await sendChunks(h, tinyBundle({ key: maintainer, bundleVersion: 2 }));
    expect(h.updater.modelVersion()).toBe('tiny@0');
    expect(h.link.model?.update?.state).toBe('failed');
    expect(h.link.model?.update?.error).toMatch(/EROFS/);
    expect(h.selfTests).toEqual([]);
    expect((await readdir(h.root)).filter((f) => f.startsWith('incoming-'))).toEqual([]);
  });

  it('falls back to the previous model when the current slot is damaged on disk', async () => {
    const dir = await tempDir();
    const first = await harness({ dir, trial: 1 });
    await installV(first, 2);
    const slot = (await readdir(join(first.root, 'slots')))[0] as string;
    await writeFile(join(first.root, 'slots', slot, 'tiny', 'files', 'weights.bin'), 'garbage');
    const restarted = await harness({ dir });
    expect(restarted.updater.modelVersion()).toBe('tiny@0');
    expect(restarted.activated).toEqual([{ modelsRoot: restarted.packagedRoot, modelId: 'tiny' }]);
  });

  it('falls back to the packaged model when the disk cannot read the current slot (EIO)', async () => {
    const dir = await tempDir();
    const first = await harness({ dir, trial: 1 });
    await installV(first, 2);
    const slots = join(first.root, 'slots');
    const fs: FileSystem = {
      ...realFileSystem,
      readFile: ((...args: Parameters<FileSystem['readFile']>) =>
        typeof args[0] === 'string' && args[0].startsWith(slots) ? Promise.reject(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })) : realFileSystem.readFile(...args)) as FileSystem['readFile'],
    };
    const restarted = await harness({ dir, fs });
    expect(restarted.updater.modelVersion()).toBe('tiny@0');
    expect(restarted.activated).toEqual([{ modelsRoot: restarted.packagedRoot, modelId: 'tiny' }]);
  });
});

describe('slot state', () => {
  it('two writes at once both land, the later one last (a trial commit racing a station rollback)', async () => {
    const root = await tempDir();
    const store = new SlotStore(realFileSystem, root, { id: 'm', bundleVersion: 0, sha256: 'a'.repeat(64), slot: null, modelsRoot: root });
    const state = (highestVersion: number) => ({ current: { id: 'm', bundleVersion: 0, sha256: 'a'.repeat(64), slot: null }, previous: null, trial: null, highestVersion });
    await Promise.all([store.writeState(state(1)), store.writeState(state(2)), store.writeState(state(3))]);
    expect((await store.readState()).highestVersion).toBe(3);
  });
});
