import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentError } from '../core/errors.js';
import { realFileSystem, type FileSystem } from '../ports/fs.js';
import { modelManifestSchema, type ModelFile, type ModelManifest } from './manifest.js';

/** `models/` of this package: manifests, and the files `npm ci` extracted beside them. */
export const PACKAGED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export const DEFAULT_MODEL_ID = 'nanodet';

/** What reading a model needs of the file system. */
type ModelReader = Pick<FileSystem, 'readFile'>;

/** A model whose every file was found and matched its manifest's sha256. */
export interface InstalledModel {
  manifest: ModelManifest;
  /** Directory holding the model's files. */
  filesDir: string;
  path(name: string): string;
}

/** Where an installed model lives: `<root>/<id>/manifest.json` and `<root>/<id>/files/<name>`. */
export function modelPaths(root: string, id: string): { manifest: string; filesDir: string } {
  return { manifest: join(root, id, 'manifest.json'), filesDir: join(root, id, 'files') };
}

export async function readManifest(file: string, fs: ModelReader = realFileSystem): Promise<ModelManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new AgentError('model.missing', `model manifest ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, details: { file } });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new AgentError('model.invalid', `model manifest ${file} is not JSON: ${(err as Error).message}`, { cause: err, details: { file } });
  }
  const result = modelManifestSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new AgentError('model.invalid', `model manifest ${file} is invalid: ${problems.join('; ')}`, { details: { file } });
  }
  return result.data;
}

export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Checks one file against its manifest entry; a missing or altered file names the file and the expected hash. */
export async function verifyModelFile(path: string, file: ModelFile, fs: ModelReader = realFileSystem): Promise<void> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (err) {
    throw new AgentError('model.missing', `model file ${path} is missing (expected sha256 ${file.sha256}); run \`npm ci\` or \`node scripts/provision-models.js\` to install it`, { cause: err, details: { file: path, sha256: file.sha256 } });
  }
  const actual = sha256Of(data);
  if (actual !== file.sha256) {
    throw new AgentError('model.corrupt', `model file ${path} is corrupt: sha256 ${actual}, expected ${file.sha256}`, { details: { file: path, sha256: file.sha256, actual } });
  }
}

/** Finds a model by id under `root` and verifies every file before anything uses it. */
export async function loadInstalledModel(id: string, root: string = PACKAGED_MODELS_DIR, fs: ModelReader = realFileSystem): Promise<InstalledModel> {
  const paths = modelPaths(root, id);
  const manifest = await readManifest(paths.manifest, fs);
  if (manifest.id !== id) {
    throw new AgentError('model.invalid', `model manifest ${paths.manifest} is for "${manifest.id}", not "${id}"`, { details: { file: paths.manifest } });
  }
  for (const file of manifest.files) await verifyModelFile(join(paths.filesDir, file.name), file, fs);
  return { manifest, filesDir: paths.filesDir, path: (name) => join(paths.filesDir, name) };
}
