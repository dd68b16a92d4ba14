import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../agent/core/errors.js';
import { provisionModels } from '../../../agent/models/provision.js';
import { loadInstalledModel, PACKAGED_MODELS_DIR, readManifest, sha256Of } from '../../../agent/models/store.js';
import { tempDir } from '../../helpers/tmp.js';

const GRAPH = Buffer.from('{"modelTopology":{},"weightsManifest":[]}');
const WEIGHTS = Buffer.from('weights');
const PICTURE = Buffer.from('jpeg');

function manifest(overrides: Record<string, unknown> = {}) {
  const file = (name: string, from: string, data: Buffer) => ({ name, from, sha256: sha256Of(data), bytes: data.length });
  return {
    id: 'tiny',
    version: '1',
    description: 'a test model',
    source: { package: 'fake-models', version: '1.2.3', license: 'MIT' },
    files: [file('g.json', 'm/g.json', GRAPH), file('w.bin', 'm/w.bin', WEIGHTS), file('self.jpg', 'a/self.jpg', PICTURE)],
    graph: 'g.json',
    input: { name: 'in', shape: [1, 8, 8, 3], layout: 'nhwc', dtype: 'float32', range: [0, 255] },
    output: { name: 'out', decoding: 'rows-xyxy-score-class' },
    labels: { '0': { class: 'person', label: 'person' } },
    selfTest: { image: 'self.jpg', expect: [{ label: 'person', minCount: 1, minScore: 0.5 }] },
    ...overrides,
  };
}

/** A project dir with models/<id>/manifest.json and node_modules/fake-models@version. */
async function project(version = '1.2.3', manifestOverrides: Record<string, unknown> = {}) {
  const dir = await tempDir();
  await writeFile(join(dir, 'package.json'), '{"name":"p","type":"module"}');
  const pkg = join(dir, 'node_modules', 'fake-models');
  await mkdir(join(pkg, 'm'), { recursive: true });
  await mkdir(join(pkg, 'a'), { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'fake-models', version, exports: { '.': './index.js' } }));
  await writeFile(join(pkg, 'm', 'g.json'), GRAPH);
  await writeFile(join(pkg, 'm', 'w.bin'), WEIGHTS);
  await writeFile(join(pkg, 'a', 'self.jpg'), PICTURE);
  const root = join(dir, 'models');
  await mkdir(join(root, 'tiny'), { recursive: true });
  await writeFile(join(root, 'tiny', 'manifest.json'), JSON.stringify(manifest(manifestOverrides)));
  return { dir, root, pkg, packageJson: join(dir, 'package.json') };
}

async function failure(work: Promise<unknown>): Promise<AgentError> {
  try {
    await work;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected a failure');
}

describe('model provisioning and store', () => {
  it('extracts the files from the pinned package, verifies them, and is idempotent', async () => {
    const p = await project();
    expect(await provisionModels(p.root, p.packageJson)).toEqual([{ id: 'tiny', action: 'installed' }]);
    expect(await readFile(join(p.root, 'tiny', 'files', 'w.bin'))).toEqual(WEIGHTS);
    expect(await provisionModels(p.root, p.packageJson)).toEqual([{ id: 'tiny', action: 'already-installed' }]);
    const model = await loadInstalledModel('tiny', p.root);
    expect(model.path('g.json')).toBe(join(p.root, 'tiny', 'files', 'g.json'));
  });

  it('takes a file from another pinned package when the file names one (a shared reference image)', async () => {
    const other = (version: string) => ({ name: 'self.jpg', from: 'pics/ref.jpg', package: 'fake-pictures', version, sha256: sha256Of(PICTURE), bytes: PICTURE.length });
    const files = (version: string) => [...manifest().files.slice(0, 2), other(version)];
    const p = await project('1.2.3', { files: files('2.0.0') });
    const pictures = join(p.dir, 'node_modules', 'fake-pictures');
    await mkdir(join(pictures, 'pics'), { recursive: true });
    await writeFile(join(pictures, 'package.json'), JSON.stringify({ name: 'fake-pictures', version: '2.0.0' }));
    await writeFile(join(pictures, 'pics', 'ref.jpg'), PICTURE);
    expect(await provisionModels(p.root, p.packageJson)).toEqual([{ id: 'tiny', action: 'installed' }]);
    expect(await readFile(join(p.root, 'tiny', 'files', 'self.jpg'))).toEqual(PICTURE);

    const wrong = await project('1.2.3', { files: files('2.0.1') });
    await mkdir(join(wrong.dir, 'node_modules', 'fake-pictures', 'pics'), { recursive: true });
    await writeFile(join(wrong.dir, 'node_modules', 'fake-pictures', 'package.json'), JSON.stringify({ name: 'fake-pictures', version: '2.0.0' }));
    expect((await failure(provisionModels(wrong.root, wrong.packageJson))).message).toMatch(/needs fake-pictures@2\.0\.1, but node_modules has 2\.0\.0/);
  });

  it('fetches a source package that is not a dependency from the registry, its integrity checked before use', async () => {
    // The package leaves node_modules and becomes a tarball, as `npm pack` would write it.
    const setUp = async (integrityOf: (tgz: Buffer) => string) => {
      const p = await project();
      const staged = join(p.dir, 'package');
      await rename(p.pkg, staged);
      const tgz = join(p.dir, 'fake-models-1.2.3.tgz');
      execFileSync('tar', ['-czf', tgz, '-C', p.dir, 'package']);
      const integrity = integrityOf(await readFile(tgz));
      const source = { package: 'fake-models', version: '1.2.3', license: 'MIT', integrity };
      await writeFile(join(p.root, 'tiny', 'manifest.json'), JSON.stringify(manifest({ source })));
      const asked: string[] = [];
      const fetchTarball = async (name: string, version: string, dir: string) => {
        asked.push(`${name}@${version}`);
        await copyFile(tgz, join(dir, 'fake-models-1.2.3.tgz'));
        return join(dir, 'fake-models-1.2.3.tgz');
      };
      return { p, asked, fetchTarball };
    };
    const sha512 = (data: Buffer) => `sha512-${createHash('sha512').update(data).digest('base64')}`;

    const good = await setUp(sha512);
    expect(await provisionModels(good.p.root, good.p.packageJson, good.fetchTarball)).toEqual([{ id: 'tiny', action: 'installed' }]);
    expect(good.asked).toEqual(['fake-models@1.2.3']);
    expect(await readFile(join(good.p.root, 'tiny', 'files', 'w.bin'))).toEqual(WEIGHTS);
    expect(await provisionModels(good.p.root, good.p.packageJson, good.fetchTarball)).toEqual([{ id: 'tiny', action: 'already-installed' }]);
    expect(good.asked).toHaveLength(1);

    const altered = await setUp(() => sha512(Buffer.from('another tarball')));
    const err = await failure(provisionModels(altered.p.root, altered.p.packageJson, altered.fetchTarball));
    expect(err.code).toBe('model.corrupt');
    expect(err.message).toMatch(/model tiny: the tarball of fake-models@1\.2\.3 has integrity sha512-.*expected sha512-/);
    expect(existsSync(join(altered.p.root, 'tiny', 'files'))).toBe(false);

    const offline = await setUp(sha512);
    const down = () => Promise.reject(new Error('npm error code EAI_AGAIN'));
    const missing = await failure(provisionModels(offline.p.root, offline.p.packageJson, down));
    expect(missing.code).toBe('model.missing');
    expect(missing.message).toContain('model tiny: could not fetch fake-models@1.2.3 from the npm registry: npm error code EAI_AGAIN');
  });

  it('keeps working when the source package is pruned after install', async () => {
    const p = await project();
    await provisionModels(p.root, p.packageJson);
    await rm(p.pkg, { recursive: true });
    expect(await provisionModels(p.root, p.packageJson)).toEqual([{ id: 'tiny', action: 'already-installed' }]);
  });

  it('refuses a package of another version, or a file whose hash differs', async () => {
    const wrongVersion = await project('1.2.4');
    expect((await failure(provisionModels(wrongVersion.root, wrongVersion.packageJson))).message).toMatch(/needs fake-models@1\.2\.3, but node_modules has 1\.2\.4/);
    const tampered = await project();
    await writeFile(join(tampered.pkg, 'm', 'w.bin'), 'other weights');
    const err = await failure(provisionModels(tampered.root, tampered.packageJson));
    expect(err.code).toBe('model.corrupt');
    expect(err.message).toContain(`expected ${sha256Of(WEIGHTS)}`);
  });

  it('names the missing or corrupt file and the expected hash', async () => {
    const p = await project();
    await provisionModels(p.root, p.packageJson);
    const weights = join(p.root, 'tiny', 'files', 'w.bin');
    await writeFile(weights, 'flipped bits');
    const corrupt = await failure(loadInstalledModel('tiny', p.root));
    expect(corrupt.code).toBe('model.corrupt');
    expect(corrupt.message).toBe(`model file ${weights} is corrupt: sha256 ${sha256Of(Buffer.from('flipped bits'))}, expected ${sha256Of(WEIGHTS)}`);
    const missing = await failure(loadInstalledModel('tiny', join(p.dir, 'elsewhere')));
    expect(missing.code).toBe('model.missing');
  });

  it('rejects a manifest whose graph or self-test image is not among its files', async () => {
    const p = await project('1.2.3', { graph: 'nope.json' });
    const err = await failure(readManifest(join(p.root, 'tiny', 'manifest.json')));
    expect(err.code).toBe('model.invalid');
    expect(err.message).toMatch(/graph: "nope\.json" is not one of the files/);
  });

  it('ships a valid manifest for the default model, installed by npm ci', async () => {
    const model = await loadInstalledModel('mb3-centernet', PACKAGED_MODELS_DIR);
    expect(model.manifest.input).toMatchObject({ name: 'tower_0/images', shape: [1, 512, 512, 3] });
    expect(model.manifest.labels['3']).toEqual({ class: 'motorcycle', label: 'ebike' });
  });
});
