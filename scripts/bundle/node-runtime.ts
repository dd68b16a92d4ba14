/**
 * The Node.js runtime a bundle carries: the npm registry's `node-linux-<arch>` package at a pinned
 * version, checked against its pinned sha512 integrity before anything is taken from it.
 * The unpacked package also provides the headers native addons are compiled against.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';

export type Arch = 'arm64' | 'x64';

export const NODE_VERSION = '20.20.2';

/** `npm view node-linux-<arch>@<version> dist.integrity`, pinned so a changed package is refused. */
const INTEGRITY: Record<Arch, string> = {
  arm64: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
  x64: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
};

/** Returns the unpacked package directory (bin/node, include/node, LICENSE), fetching it once into `cacheDir`. */
export async function nodeRuntime(arch: Arch, cacheDir: string): Promise<string> {
  const name = `node-linux-${arch}-${NODE_VERSION}`;
  const unpacked = join(cacheDir, name);
  const tgz = join(cacheDir, `${name}.tgz`);
  if (existsSync(join(unpacked, 'package', 'bin', 'node'))) return join(unpacked, 'package');
  await mkdir(cacheDir, { recursive: true });
  if (!existsSync(tgz)) await run('npm', ['pack', `node-linux-${arch}@${NODE_VERSION}`, '--pack-destination', cacheDir, '--silent']);
  const integrity = `sha512-${createHash('sha512').update(await readFile(tgz)).digest('base64')}`;
  if (integrity !== INTEGRITY[arch]) {
    await rm(tgz, { force: true });
    throw new Error(`${tgz}: integrity ${integrity} is not the pinned ${INTEGRITY[arch]}`);
  }
  await rm(unpacked, { recursive: true, force: true });
  await mkdir(unpacked, { recursive: true });
  await run('tar', ['-xzf', tgz, '-C', unpacked]);
  return join(unpacked, 'package');
}
