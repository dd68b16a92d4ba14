import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AgentError } from '../core/errors.js';
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
export async function provisionModels(root: string, resolveFrom: string): Promise<ProvisionReport[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const reports: ProvisionReport[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const manifest = await readManifest(modelPaths(root, entry.name).manifest);
    reports.push(await provisionModel(root, manifest, resolveFrom));
  }
  return reports;
}

export async function provisionModel(root: string, manifest: ModelManifest, resolveFrom: string): Promise<ProvisionReport> {
  const { filesDir } = modelPaths(root, manifest.id);
  if (await allVerified(filesDir, manifest)) return { id: manifest.id, action: 'already-installed' };
  // Copy into a staging dir and swap it in whole, so an interrupted install never leaves half a model.
  const staging = `${filesDir}.staging`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const file of manifest.files) {
    const target = join(staging, file.name);
    await copyFile(join(locatePackage(manifest, file, resolveFrom), file.from), target);
    await verifyModelFile(target, file);
  }
  await rm(filesDir, { recursive: true, force: true });
  await rename(staging, filesDir);
  return { id: manifest.id, action: 'installed' };
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
