/**
 * Rebuilds the dev set (scripts/devset/manifest.json) from copies of its source repositories and
 * Debian packages, checking every file's sha256. The bytes never enter git.
 *
 *   npx tsx scripts/devset/build.ts --mirror DIR [--debs DIR] [--dest DIR] [--check]
 *
 *   --mirror DIR  where the source repositories are: DIR/owner+name/repo (what the `fetch` tool leaves
 *                 under /work/.mirror), DIR/owner+name, DIR/owner/name or DIR/name; bare or not.
 *                 Default: $MINWANG_DEVSET_MIRROR, else /work/.mirror.
 *   --debs DIR    a directory holding the .deb files; missing ones are fetched with `apt-get download`.
 *   --dest DIR    default: $MINWANG_DEVSET_DIR, else $XDG_CACHE_HOME/minwang/devset (~/.cache/minwang/devset),
 *                 where the eval scripts look for it too
 *   --check       only verify what is already in DEST; fetch nothing.
 *
 * Progress goes to stderr; exits 1 naming every missing source and how to get it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEFAULT_DEVSET_DIR, loadDevsetManifest, MANIFEST_URL } from './manifest.js';
import type { DevsetItem as Item, DevsetOrigin as Origin } from './manifest.js';

const run = promisify(execFile);
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const { values } = parseArgs({
  options: {
    mirror: { type: 'string', default: process.env.MINWANG_DEVSET_MIRROR ?? '/work/.mirror' },
    debs: { type: 'string' },
    dest: { type: 'string', default: DEFAULT_DEVSET_DIR },
    check: { type: 'boolean', default: false },
  },
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  return existsSync(file) ? readFile(file) : undefined;
}

/** The git directory holding `repo` under the mirror root, or undefined. */
function findGitDir(root: string, repo: string): string | undefined {
  const [owner, name] = repo.split('/') as [string, string];
  const candidates = [join(root, `${owner}+${name}`, 'repo'), join(root, `${owner}+${name}`), join(root, owner, name), join(root, name)];
  for (const dir of candidates) {
    if (existsSync(join(dir, '.git'))) return join(dir, '.git');
    if (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects'))) return dir;
  }
  return undefined;
}

class MissingSource extends Error {
  constructor(
    readonly source: string,
    readonly howTo: string,
  ) {
    super(`${source} is missing`);
  }
}

async function fromRepo(o: { repo: string; commit: string; path: string }): Promise<Buffer> {
  const gitDir = findGitDir(values.mirror, o.repo);
  const howTo = `fetch github:${o.repo} (or git clone https://github.com/${o.repo} ${join(values.mirror, o.repo.replace('/', '+'), 'repo')}), then pass --mirror ${values.mirror}`;
  if (gitDir === undefined) throw new MissingSource(`repository ${o.repo}`, howTo);
  try {
    const { stdout } = await run('git', [`--git-dir=${gitDir}`, 'cat-file', 'blob', `${o.commit}:${o.path}`], {
      encoding: 'buffer',
      maxBuffer: MAX_FILE_BYTES,
    });
    return stdout;
  } catch {
    throw new MissingSource(`${o.repo} commit ${o.commit.slice(0, 12)} file ${o.path}`, `the copy in ${gitDir} lacks that commit or file; fetch a snapshot that contains commit ${o.commit}`);
  }
}

const debCache = new Map<string, Promise<string>>();

async function debFile(pkg: string, version: string): Promise<string> {
  const bare = version.replace(/^\d+:/, '');
  if (values.debs !== undefined) {
    const found = (await readdir(values.debs)).find((f) => f.startsWith(`${pkg}_${bare}_`) && f.endsWith('.deb'));
    if (found !== undefined) return join(values.debs, found);
  }
  const dir = await mkdtemp(join(tmpdir(), 'devset-deb-'));
  try {
    await run('apt-get', ['download', '-q', `${pkg}=${version}`], { cwd: dir });
  } catch {
    throw new MissingSource(`Debian package ${pkg}=${version}`, `apt-get download ${pkg}=${version} (after apt-get update), or put the .deb into --debs DIR`);
  }
  const found = (await readdir(dir)).find((f) => f.endsWith('.deb'));
  if (found === undefined) throw new MissingSource(`Debian package ${pkg}=${version}`, 'apt-get download left no .deb');
  return join(dir, found);
}

async function fromPackage(o: { package: string; version: string; path: string }): Promise<Buffer> {
  const key = `${o.package}=${o.version}`;
  let deb = debCache.get(key);
  if (deb === undefined) {
    deb = debFile(o.package, o.version);
    debCache.set(key, deb);
  }
  const file = await deb;
  const { stdout } = await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - "./$2"', 'sh', file, o.path], {
    encoding: 'buffer',
    maxBuffer: MAX_FILE_BYTES,
  });
  if (stdout.length === 0) throw new MissingSource(`${key} file ${o.path}`, 'the package does not hold that path');
  return stdout;
}

function fetchBytes(o: Origin): Promise<Buffer> {
  return 'repo' in o ? fromRepo(o) : fromPackage(o);
}

async function writeAtomically(file: string, data: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

type Outcome = 'cached' | 'built' | { missing: MissingSource } | { error: string };

async function buildItem(it: Item): Promise<Outcome> {
  const target = join(values.dest, it.file);
  const present = await readIfPresent(target);
  if (present !== undefined && sha256(present) === it.sha256) return 'cached';
  if (values.check) return { error: present === undefined ? 'not built' : 'sha256 differs from the manifest' };
  let data: Buffer;
  try {
    data = await fetchBytes(it.origin);
  } catch (err) {
    if (err instanceof MissingSource) return { missing: err };
    throw err;
  }
  const actual = sha256(data);
  if (actual !== it.sha256) return { error: `source bytes have sha256 ${actual}, manifest says ${it.sha256}; refusing them` };
  await writeAtomically(target, data);
  return 'built';
}

function report(outcomes: Map<Item, Outcome>): number {
  const missing = new Map<string, { howTo: string; count: number }>();
  let failed = 0;
  for (const [it, outcome] of outcomes) {
    if (outcome === 'cached' || outcome === 'built') continue;
    failed += 1;
    if ('missing' in outcome) {
      const entry = missing.get(outcome.missing.source) ?? { howTo: outcome.missing.howTo, count: 0 };
      entry.count += 1;
      missing.set(outcome.missing.source, entry);
    } else {
      console.error(`devset: ${it.id} (${it.file}): ${outcome.error}`);
    }
  }
  for (const [source, { howTo, count }] of missing) console.error(`devset: ${source} is missing (${count} items): ${howTo}`);
  return failed;
}

async function main(): Promise<void> {
  let loaded: Awaited<ReturnType<typeof loadDevsetManifest>>;
  try {
    loaded = await loadDevsetManifest(MANIFEST_URL);
  } catch (err) {
    console.error(`devset: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const { raw, manifest } = loaded;
  const items = manifest.items;
  const outcomes = new Map<Item, Outcome>();
  for (const [i, it] of items.entries()) {
    const outcome = await buildItem(it);
    outcomes.set(it, outcome);
    const word = typeof outcome === 'string' ? outcome : 'missing' in outcome ? 'MISSING' : 'FAILED';
    console.error(`devset: [${i + 1}/${items.length}] ${it.file} ${word}`);
  }
  for (const deb of debCache.values()) {
    const file = await deb.catch(() => undefined);
    if (file !== undefined && (values.debs === undefined || !file.startsWith(values.debs))) await rm(dirname(file), { recursive: true, force: true });
  }
  const failed = report(outcomes);
  if (!values.check) await writeAtomically(join(values.dest, 'manifest.json'), Buffer.from(raw));
  console.error(`devset: ${items.length - failed} of ${items.length} items ready in ${values.dest}`);
  if (failed > 0) process.exit(1);
}

await main();
