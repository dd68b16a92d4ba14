import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from '../store.js';
import { BUNDLE_FORMAT, writeBundle, type BundleManifest } from './bundle.js';

export interface PackOptions {
  /** A model directory as under `models/`: `manifest.json` and `files/<name>`. */
  dir: string;
  privateKey: KeyObject;
  bundleVersion: number;
  now: Date;
  validDays: number;
  minAgentVersion: string;
  rollback: boolean;
}

/** Builds and signs a bundle from a model directory; every file is checked against the manifest. */
export async function packModelDir(options: PackOptions): Promise<{ bundle: Buffer; manifest: BundleManifest }> {
  const model = await readManifest(join(options.dir, 'manifest.json'));
  const files = new Map<string, Buffer>();
  for (const file of model.files) files.set(file.name, await readFile(join(options.dir, 'files', file.name)));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleVersion: options.bundleVersion,
    createdAt: options.now.toISOString(),
    expires: new Date(options.now.getTime() + options.validDays * 86_400_000).toISOString(),
    minAgentVersion: options.minAgentVersion,
    rollback: options.rollback,
    model,
  };
  return { bundle: writeBundle(manifest, files, options.privateKey, createPublicKey(options.privateKey)), manifest };
}
