/**
 * Prepares the boot partition of a freshly flashed Raspberry Pi OS (trixie) card so the host
 * installs minwang on first boot, without any network. Current Raspberry Pi OS images (from
 * 2025-10) configure first boot with cloud-init's NoCloud files on the boot partition
 * (`meta-data`, `user-data`, `network-config`); the legacy `firstrun.sh` hook is being retired,
 * so only the cloud-init way is supported. Everything is checked before the card is touched.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isMap, isSeq, parseDocument, stringify, type Document } from 'yaml';
import { parseConfigText } from '../../config/load.js';
import { AgentError, errorMessage, isAgentError } from '../../core/errors.js';
import { loadPublicKey, verifyBundleDir } from './sums.js';

const execFileAsync = promisify(execFile);

/** Where the booted system mounts the boot partition (trixie: /boot/firmware). */
export const BOOT_MOUNT = '/boot/firmware';
export const KIT_DIR = 'minwang';
export const SECRETS_DIR = '/etc/minwang/secrets/';
const BUNDLE_NAME = /^minwang-[0-9A-Za-z.+-]+-linux-(arm64|x64)\.tar\.gz$/;
const SCRIPTS = fileURLToPath(new URL('../../../scripts/', import.meta.url));

export interface WifiSettings {
  ssid: string;
  passwordFile: string;
  /** ISO 3166 two-letter regulatory domain, e.g. CN. */
  country: string;
}

export interface ProvisionRequest {
  boot: string;
  bundle: string;
  config: string;
  publicKey: string;
  secrets: string[];
  sshKey?: string;
  wifi?: WifiSettings;
}

export interface ProvisionReport {
  written: string[];
  version: string;
}

function refuse(message: string): never {
  throw new AgentError('provision.failed', message);
}

/** Checks everything, then writes the card. Throws before writing anything if any input is wrong. */
export async function provisionBootPartition(req: ProvisionRequest): Promise<ProvisionReport> {
  const plan = await planProvision(req);
  return writePlan(req.boot, plan);
}

interface PlannedFile {
  /** Relative to the boot partition. */
  path: string;
  content?: Buffer | string;
  copyFrom?: string;
  mode: number;
}

interface Plan {
  files: PlannedFile[];
  version: string;
}

async function planProvision(req: ProvisionRequest): Promise<Plan> {
  checkBootPartition(req.boot);
  const configText = await readInput(req.config, 'config');
  let config: unknown;
  try {
    config = parseConfigText(configText, req.config);
  } catch (err) {
    // Keeps the config.* code, so the exit status says "fix the config" (2).
    throw new AgentError(isAgentError(err) ? err.code : 'provision.failed', `${errorMessage(err)}\nthe card was not touched`);
  }
  const secretNames = checkSecrets(secretFilesRead(config), req.secrets);
  const bundleName = basename(req.bundle);
  const nameMatch = BUNDLE_NAME.exec(bundleName);
  if (nameMatch === null) refuse(`${req.bundle}: not a release bundle name (minwang-<version>-linux-<arch>.tar.gz)`);
  const pubkeyPem = await readInput(req.publicKey, 'public key');
  loadPublicKey(pubkeyPem, req.publicKey);
  await verifyTarball(req.bundle, pubkeyPem, req.publicKey);

  const userDataPath = join(req.boot, 'user-data');
  const userData = await readFile(userDataPath, 'utf8');
  const sshKey = req.sshKey === undefined ? undefined : checkSshKey(await readInput(req.sshKey, 'ssh key'), req.sshKey);
  const files: PlannedFile[] = [
    { path: `${KIT_DIR}/${bundleName}`, copyFrom: req.bundle, mode: 0o644 },
    { path: `${KIT_DIR}/release.pub`, content: pubkeyPem, mode: 0o644 },
    { path: `${KIT_DIR}/verify-bundle.sh`, copyFrom: join(SCRIPTS, 'verify-bundle.sh'), mode: 0o755 },
    { path: `${KIT_DIR}/firstboot.sh`, copyFrom: join(SCRIPTS, 'firstboot.sh'), mode: 0o755 },
    { path: `${KIT_DIR}/config.yaml`, content: configText, mode: 0o600 },
    ...req.secrets.map((file, i) => ({ path: `${KIT_DIR}/secrets/${secretNames[i] ?? ''}`, copyFrom: file, mode: 0o600 })),
    { path: 'user-data', content: withFirstBoot(userData, userDataPath, sshKey), mode: (await stat(userDataPath)).mode & 0o777 },
  ];
  if (req.wifi !== undefined) files.push({ path: 'network-config', content: await networkConfig(req.wifi), mode: 0o600 });
  return { files, version: bundleName.replace(/^minwang-/, '').replace(/\.tar\.gz$/, '') };
}

function checkBootPartition(boot: string): void {
  for (const marker of ['config.txt', 'cmdline.txt']) {
    if (!existsSync(join(boot, marker))) refuse(`${boot} has no ${marker}: give the mounted boot partition of a Raspberry Pi OS card`);
  }
  if (!existsSync(join(boot, 'user-data')) || !existsSync(join(boot, 'meta-data'))) {
    refuse(`${boot} has no cloud-init user-data/meta-data: this image predates cloud-init (Raspberry Pi OS before 2025-10); flash a current Raspberry Pi OS (trixie) image`);
  }
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    return refuse(`cannot read the ${what} ${file}: ${errorMessage(err)}`);
  }
}

/** Every passwordFile under /etc/minwang/secrets/ the config reads must come with a --secret of that name. */
function checkSecrets(wanted: string[], secrets: string[]): string[] {
  const names = secrets.map((s) => basename(s));
  const dupe = names.find((n, i) => names.indexOf(n) !== i);
  if (dupe !== undefined) refuse(`two --secret files are named ${dupe}`);
  const bad = names.find((n) => !/^[A-Za-z0-9._-]+$/.test(n) || n.startsWith('.'));
  if (bad !== undefined) refuse(`--secret ${bad}: secret file names may hold only letters, digits, ".", "_" and "-"`);
  for (const path of wanted) {
    if (!path.startsWith(SECRETS_DIR)) refuse(`the config reads a secret from ${path}; on a provisioned host secrets live in ${SECRETS_DIR}`);
    const name = path.slice(SECRETS_DIR.length);
    if (!names.includes(name)) refuse(`the config reads ${path}: give it with --secret FILE (a file named ${name})`);
  }
  return names;
}

/** Every `passwordFile` value anywhere in the parsed config (broker, cameras, ...). */
export function secretFilesRead(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(secretFilesRead);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'passwordFile' && typeof value === 'string' ? [value] : secretFilesRead(value)));
}

function checkSshKey(text: string, file: string): string {
  const line = text.trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/.test(line) || line.includes('\n')) {
    refuse(`${file}: not one OpenSSH public key line (did you give the private key?)`);
  }
  return line;
}

/** Unpacks the tarball into a temporary directory and verifies it exactly as the host will. */
async function verifyTarball(tarball: string, pubkeyPem: string, pubkeyFile: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'minwang-provision-'));
  try {
    await execFileAsync('tar', ['-xzf', tarball, '-C', work, '--no-same-owner']).catch((err: unknown) => refuse(`${tarball}: cannot unpack (${errorMessage(err)})`));
    const tops = await readdir(work);
    if (tops.length !== 1 || tops[0] === undefined) refuse(`${tarball} does not unpack to one directory`);
    await verifyBundleDir(join(work, tops[0]), loadPublicKey(pubkeyPem, pubkeyFile)).catch((err: unknown) => refuse(`${tarball}: ${errorMessage(err)}`));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const FIRSTBOOT_CMD = ['bash', `${BOOT_MOUNT}/${KIT_DIR}/firstboot.sh`];

/** The card's user-data with the first-boot hook (once) and, if given, the installer's SSH key. */
export function withFirstBoot(text: string, file: string, sshKey?: string): string {
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) refuse(`${file}: not valid YAML (${doc.errors[0]?.message ?? ''})`);
  if (doc.contents !== null && !isMap(doc.contents)) refuse(`${file}: not a cloud-config mapping`);
  const runcmd = doc.get('runcmd');
  if (runcmd !== undefined && !isSeq(runcmd)) refuse(`${file}: runcmd is not a list`);
  const entries = isSeq(runcmd) ? runcmd.toJSON() : [];
  const already = entries.some((e) => JSON.stringify(e) === JSON.stringify(FIRSTBOOT_CMD));
  if (sshKey !== undefined) {
    const keys = doc.get('ssh_authorized_keys');
    const list = isSeq(keys) ? keys.toJSON() : [];
    if (!list.includes(sshKey)) doc.set('ssh_authorized_keys', [...list, sshKey]);
    doc.set('ssh_pwauth', false);
    const enableSsh = ['systemctl', 'enable', '--now', 'ssh'];
    if (!entries.some((e) => JSON.stringify(e) === JSON.stringify(enableSsh))) entries.push(enableSsh);
  }
  if (!already) entries.push(FIRSTBOOT_CMD);
  doc.set('runcmd', doc.createNode(entries, { flow: false }));
  const body = doc.toString({ lineWidth: 0 });
  // cloud-init only reads user-data that starts with this line.
  return body.startsWith('#cloud-config') ? body : `#cloud-config\n${body}`;
}

async function networkConfig(wifi: WifiSettings): Promise<string> {
  const password = (await readInput(wifi.passwordFile, 'Wi-Fi password file')).replace(/\r?\n$/, '');
  if (password.length < 8 || password.length > 63) refuse(`${wifi.passwordFile}: a WPA passphrase has 8 to 63 characters`);
  if (!/^[A-Z]{2}$/.test(wifi.country)) refuse(`--wifi-country ${wifi.country}: give the two-letter country code, e.g. CN`);
  if (wifi.ssid.length === 0 || Buffer.byteLength(wifi.ssid) > 32) refuse('--wifi-ssid: an SSID has 1 to 32 bytes');
  const netplan = {
    network: {
      version: 2,
      wifis: { wlan0: { dhcp4: true, optional: true, 'regulatory-domain': wifi.country, 'access-points': { [wifi.ssid]: { password } } } },
    },
  };
  return `# Written by minwang provision: netplan v2, applied by cloud-init on first boot.\n${stringify(netplan)}`;
}

/** Writes each file through a temporary name, so a pulled card never holds half a file. */
async function writePlan(boot: string, plan: Plan): Promise<ProvisionReport> {
  await mkdir(join(boot, KIT_DIR), { recursive: true, mode: 0o755 });
  await chmod(join(boot, KIT_DIR), 0o755);
  if (plan.files.some((f) => f.path.startsWith(`${KIT_DIR}/secrets/`))) {
    await mkdir(join(boot, KIT_DIR, 'secrets'), { recursive: true, mode: 0o700 });
    await chmod(join(boot, KIT_DIR, 'secrets'), 0o700);
  }
  for (const f of plan.files) {
    const target = join(boot, f.path);
    const tmp = `${target}.minwang-tmp`;
    if (f.copyFrom !== undefined) await copyFile(f.copyFrom, tmp);
    else await writeFile(tmp, f.content ?? '', { mode: f.mode });
    await chmod(tmp, f.mode);
    await rename(tmp, target);
  }
  return { written: plan.files.map((f) => f.path), version: plan.version };
}
