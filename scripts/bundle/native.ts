/**
 * Native addons in a bundle's node_modules, compiled for the target: every package with a
 * binding.gyp at its root (npm would run `node-gyp rebuild` for it) is built with npm's own
 * node-gyp against the target runtime's headers, with Debian's cross compiler for arm64.
 * Packages that ship prebuilt binaries per platform (sharp's @img/*) need nothing here.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, run } from './exec.js';
import type { Arch } from './node-runtime.js';

const TOOLCHAIN: Record<Arch, { prefix: string; debianPackage: string }> = {
  arm64: { prefix: 'aarch64-linux-gnu-', debianPackage: 'g++-aarch64-linux-gnu' },
  x64: { prefix: '', debianPackage: 'g++' },
};

/**
 * Addons only the station's web console uses (its SQLite store). A village host never runs the
 * web console; the package's JavaScript stays (it loads its binary only when a database opens),
 * its binary is not built, which saves a long cross compile of SQLite.
 */
export const STATION_ONLY = new Set(['better-sqlite3']);

/** Package directories under node_modules (scoped ones included) that carry a binding.gyp. */
export async function addonPackages(nodeModules: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? (await readdir(join(nodeModules, entry.name))).map((n) => join(nodeModules, entry.name, n))
      : [join(nodeModules, entry.name)];
    for (const dir of dirs) if (existsSync(join(dir, 'binding.gyp')) && !STATION_ONLY.has(dir.slice(nodeModules.length + 1))) found.push(dir);
  }
  return found.sort();
}

async function nodeGyp(): Promise<string> {
  const npmCli = (await capture('npm', ['prefix', '-g'])).trim();
  const gyp = join(npmCli, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) throw new Error(`npm's node-gyp is not at ${gyp}`);
  return gyp;
}

export async function buildAddons(nodeModules: string, arch: Arch, runtimeDir: string): Promise<string[]> {
  const addons = await addonPackages(nodeModules);
  if (addons.length === 0) return [];
  const { prefix, debianPackage } = TOOLCHAIN[arch];
  const cxx = `${prefix}g++`;
  await capture('sh', ['-c', `command -v ${cxx}`]).catch(() => {
    throw new Error(`${cxx} is missing: install Debian's ${debianPackage} to compile ${addons.map((a) => a.split('node_modules/')[1]).join(', ')} for ${arch}`);
  });
  const gyp = await nodeGyp();
  const env = { CC: `${prefix}gcc`, CXX: cxx, LINK: cxx, AR: `${prefix}ar`, npm_config_jobs: '2' };
  for (const dir of addons) {
    process.stderr.write(`bundle: compiling ${dir.split('node_modules/')[1] ?? dir} for linux-${arch}\n`);
    await run(process.execPath, [gyp, 'rebuild', `--arch=${arch}`, `--nodedir=${runtimeDir}`, '--release', '-j', '2'], { cwd: dir, env });
    await pruneBuild(join(dir, 'build'));
  }
  return addons;
}

/** Keeps only the linked build/Release/*.node files: object files and makefiles are build litter. */
async function pruneBuild(buildDir: string): Promise<void> {
  for (const e of await readdir(buildDir)) {
    if (e !== 'Release') await rm(join(buildDir, e), { recursive: true, force: true });
  }
  const release = join(buildDir, 'Release');
  for (const e of await readdir(release, { withFileTypes: true })) {
    if (!(e.isFile() && e.name.endsWith('.node'))) await rm(join(release, e.name), { recursive: true, force: true });
  }
}
