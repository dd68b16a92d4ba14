/**
 * `npm run bundle -- --arch arm64|x64 (--key PRIVATE.pem | --unsigned) [--out DIR]`
 *
 * Builds, on this machine, the offline release bundle a village host installs from:
 *   minwang-<version>-linux-<arch>/
 *     bin/ dist/ package.json package-lock.json README.md config/minwang.example.yaml
 *     node_modules/   production dependencies for the target (native addons compiled for it)
 *     models/<id>/    the default models' manifests and files (detector.model and detector.secondModel)
 *     node/bin/node   Node.js for the target (npm's node-linux-<arch>, pinned)
 *     scripts/install.sh scripts/firstboot.sh scripts/verify-bundle.sh scripts/systemd/
 *     SHA256SUMS SHA256SUMS.sig
 * and packs it as release/minwang-<version>-linux-<arch>.tar.gz. Prints one JSON summary on stdout.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { detectorSchema } from '../../agent/config/sections/detector.js';
import { computeSums, formatSums, loadPrivateKey, signSums, SIGNATURE_FILE, SUMS_FILE } from '../../agent/field/release/sums.js';
import { capture, run } from './exec.js';
import { buildAddons } from './native.js';
import { pruneForRuntime } from './prune.js';
import { nodeRuntime, NODE_VERSION } from './node-runtime.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULTS = detectorSchema.parse(undefined);
const DEFAULT_MODELS = [DEFAULTS.model, ...(DEFAULTS.secondModel === 'none' ? [] : [DEFAULTS.secondModel])];
const APP_PARTS = ['bin', 'dist', 'package.json', 'package-lock.json', 'README.md', 'config/minwang.example.yaml',
  'scripts/install.sh', 'scripts/firstboot.sh', 'scripts/verify-bundle.sh', 'scripts/systemd'];

function fail(message: string): never {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: { arch: { type: 'string' }, key: { type: 'string' }, unsigned: { type: 'boolean' }, out: { type: 'string' } },
});
const arch = values.arch;
if (arch !== 'arm64' && arch !== 'x64') fail('give --arch arm64 or --arch x64');
if (values.key === undefined && values.unsigned !== true) fail('give --key PRIVATE.pem (Ed25519, PEM PKCS8) to sign the bundle, or --unsigned for a development build');
if (values.key !== undefined && values.unsigned === true) fail('--key and --unsigned exclude each other');
const privateKey = values.key === undefined ? undefined : loadPrivateKey(await readFile(values.key, 'utf8'), values.key);

const version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const name = `minwang-${version}-linux-${arch}`;
const outDir = values.out ?? join(REPO, 'release');
const stage = join(outDir, name);
const cache = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'minwang', 'bundle');
const say = (msg: string): void => { process.stderr.write(`bundle: ${msg}\n`); };

say(`building ${name}`);
await run('npm', ['run', '--silent', 'build'], { cwd: REPO });
await rm(stage, { recursive: true, force: true });
await mkdir(stage, { recursive: true });
for (const part of APP_PARTS) await cp(join(REPO, part), join(stage, part), { recursive: true });

say(`production dependencies for linux-${arch} (npm ci --omit=dev)`);
await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', `--cpu=${arch}`, '--os=linux', '--libc=glibc'], { cwd: stage });
// The .bin links are for npm scripts; a bundle holds regular files only, so every byte is signed.
await rm(join(stage, 'node_modules', '.bin'), { recursive: true, force: true });
const pruned = await pruneForRuntime(join(stage, 'node_modules'));
say(`pruned ${(pruned / 1e6).toFixed(0)} MB of source maps and type declarations`);
const runtime = await nodeRuntime(arch, cache);
const addons = await buildAddons(join(stage, 'node_modules'), arch, runtime);

for (const model of DEFAULT_MODELS) {
  say(`model ${model}`);
  const modelDir = join(REPO, 'models', model);
  if (!existsSync(join(modelDir, 'files'))) fail(`${modelDir}/files is missing: run npm ci (it provisions the models) first`);
  await cp(join(modelDir, 'manifest.json'), join(stage, 'models', model, 'manifest.json'));
  await cp(join(modelDir, 'files'), join(stage, 'models', model, 'files'), { recursive: true });
}

say(`Node.js ${NODE_VERSION} for linux-${arch}`);
await mkdir(join(stage, 'node', 'bin'), { recursive: true });
await cp(join(runtime, 'bin', 'node'), join(stage, 'node', 'bin', 'node'));
await cp(join(runtime, 'LICENSE'), join(stage, 'node', 'LICENSE'));

const commit = (await capture('git', ['rev-parse', 'HEAD'], { cwd: REPO }).catch(() => 'unknown')).trim();
await writeFile(join(stage, 'BUILDINFO.json'), `${JSON.stringify({ version, arch, node: NODE_VERSION, commit, addons: addons.map((a) => a.split('node_modules/')[1]), signed: privateKey !== undefined }, null, 2)}\n`);

const sums = formatSums(await computeSums(stage));
await writeFile(join(stage, SUMS_FILE), sums);
if (privateKey !== undefined) await writeFile(join(stage, SIGNATURE_FILE), signSums(sums, privateKey));

const tarball = join(outDir, `${name}.tar.gz`);
// Reproducible metadata: root-owned entries, sorted, dated at the commit rather than now.
const epoch = (await capture('git', ['log', '-1', '--format=%ct'], { cwd: REPO }).catch(() => '0')).trim();
await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '-czf', tarball, '-C', outDir, name]);
const bytes = (await stat(tarball)).size;
const unpackedBytes = Number((await capture('du', ['-sb', stage])).split('\t')[0]);
say(`wrote ${tarball} (${(bytes / 1e6).toFixed(1)} MB)`);
process.stdout.write(`${JSON.stringify({ tarball, bytes, unpackedBytes, version, arch, node: NODE_VERSION, signed: privateKey !== undefined, files: sums.split('\n').length - 1 })}\n`);
