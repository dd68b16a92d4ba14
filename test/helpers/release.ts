import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { computeSums, formatSums, loadPrivateKey, signSums, SIGNATURE_FILE, SUMS_FILE } from '../../agent/field/release/sums.js';
import { tempDir } from './tmp.js';

export const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface KeyFiles {
  privateKey: string;
  publicKey: string;
}

/** A fresh Ed25519 key pair as PEM files (PKCS8 private, SPKI public), like the maintainers' keys. */
export async function keyFiles(dir: string, name = 'release'): Promise<KeyFiles> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const files = { privateKey: join(dir, `${name}.key`), publicKey: join(dir, `${name}.pub`) };
  await writeFile(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}

/** Writes SHA256SUMS and its signature into `dir`, as `npm run bundle` does. */
export async function signDir(dir: string, privateKeyFile: string): Promise<void> {
  const sums = formatSums(await computeSums(dir));
  await writeFile(join(dir, SUMS_FILE), sums);
  await writeFile(join(dir, SIGNATURE_FILE), signSums(sums, loadPrivateKey(await readFile(privateKeyFile, 'utf8'), privateKeyFile)));
}

/**
 * A small signed release laid out like a bundle (minwang-<version>-linux-arm64/ inside `parent`),
 * with the repo's real install scripts; the real node_modules would only slow the tests.
 */
export async function fakeBundleDir(parent: string, version: string, key: KeyFiles): Promise<string> {
  const dir = join(parent, `minwang-${version}-linux-arm64`);
  await mkdir(dir, { recursive: true });
  for (const part of ['bin', 'config/minwang.example.yaml', 'README.md', 'scripts/install.sh', 'scripts/verify-bundle.sh', 'scripts/firstboot.sh', 'scripts/systemd']) {
    await cp(join(REPO, part), join(dir, part), { recursive: true });
  }
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  await mkdir(join(dir, 'dist/cli'), { recursive: true });
  await writeFile(join(dir, 'dist/cli/bin.js'), '');
  await mkdir(join(dir, 'node_modules/some-dep'), { recursive: true });
  await writeFile(join(dir, 'node_modules/some-dep/index.js'), 'export {};\n');
  await mkdir(join(dir, 'node/bin'), { recursive: true });
  await writeFile(join(dir, 'node/bin/node'), '#!/bin/sh\n', { mode: 0o755 });
  await signDir(dir, key.privateKey);
  return dir;
}

/** Packs a bundle directory as `npm run bundle` does: one top directory in a .tar.gz. */
export async function tarBundle(bundleDir: string, outDir: string): Promise<string> {
  const name = bundleDir.split('/').pop() ?? 'bundle';
  const tarball = join(outDir, `${name}.tar.gz`);
  await run('tar', ['-czf', tarball, '-C', join(bundleDir, '..'), name]);
  return tarball;
}

/** A throwaway root with just the account files useradd needs. */
export async function throwawayRoot(): Promise<string> {
  const root = await tempDir('minwang-root-');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  await writeFile(join(root, 'etc/group'), 'root:x:0:\n');
  await writeFile(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  await writeFile(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
  return root;
}

export function mode(s: { mode: number }): string {
  return (s.mode & 0o7777).toString(8);
}
