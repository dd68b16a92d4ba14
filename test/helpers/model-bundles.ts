import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FORMAT, writeBundle, type BundleManifest } from '../../agent/models/update/bundle.js';
import { generateMaintainerKey, parsePrivateKey } from '../../agent/models/update/keys.js';
import type { ModelManifest } from '../../agent/models/manifest.js';
import { sha256Of } from '../../agent/models/store.js';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: string;
}

export function testKey(): TestKey {
  const pair = generateMaintainerKey();
  return { privateKey: parsePrivateKey(pair.privatePem), publicKey: pair.publicKey };
}

/** A tiny model (not a real network: enough for the container, trust and slot logic). */
export function tinyModel(id = 'tiny', weights: Buffer = Buffer.from('weights v1')): { model: ModelManifest; files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>([
    ['graph.json', Buffer.from('{"format":"graph-model"}')],
    ['weights.bin', weights],
    ['selftest.jpg', Buffer.from('not really a jpeg')],
  ]);
  const model: ModelManifest = {
    id, version: 'test', description: 'a test model',
    source: { package: 'none', version: '0.0.0', license: 'MIT' },
    files: [...files].map(([name, data]) => ({ name, from: name, sha256: sha256Of(data), bytes: data.length })),
    graph: 'graph.json',
    input: { name: 'in', shape: [1, 64, 64, 3], layout: 'nhwc', dtype: 'float32', range: [0, 255] },
    output: { name: 'out', decoding: 'rows-xyxy-score-class' },
    labels: { '0': { class: 'person', label: 'person' } },
    selfTest: { image: 'selftest.jpg', expect: [{ label: 'person', minCount: 1, minScore: 0.5 }] },
  };
  return { model, files };
}

export interface TinyBundleOptions {
  key: TestKey;
  bundleVersion: number;
  rollback?: boolean;
  expires?: string;
  weights?: Buffer<ArrayBufferLike>;
  id?: string;
}

export function tinyBundle(options: TinyBundleOptions): Buffer {
  const { model, files } = tinyModel(options.id, options.weights ?? Buffer.from(`weights v${options.bundleVersion}`));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    bundleVersion: options.bundleVersion,
    createdAt: '2026-01-01T00:00:00.000Z',
    expires: options.expires ?? '2099-01-01T00:00:00.000Z',
    minAgentVersion: '0.0.1',
    rollback: options.rollback ?? false,
    model,
  };
  return writeBundle(manifest, files, options.key.privateKey, createPublicKey(options.key.privateKey));
}

/** The tiny model laid out as under `models/`: `<root>/<id>/manifest.json` and `files/`. */
export async function writeTinyModelDir(root: string, id = 'tiny'): Promise<void> {
  const { model, files } = tinyModel(id);
  await mkdir(join(root, id, 'files'), { recursive: true });
  await writeFile(join(root, id, 'manifest.json'), JSON.stringify(model));
  for (const [name, data] of files) await writeFile(join(root, id, 'files', name), data);
}
