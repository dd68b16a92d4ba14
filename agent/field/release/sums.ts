/**
 * A release bundle's integrity: SHA256SUMS (the `sha256sum` format, one "<hex>  <path>" line per
 * file, sorted by path) and SHA256SUMS.sig, the raw 64-byte Ed25519 signature of SHA256SUMS.
 * Keys are PEM: PKCS8 private, SPKI public — the same format as the model bundle keys, so
 * `openssl pkeyutl -verify -rawin` can check a bundle on a host where no Node.js is trusted yet.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { AgentError } from '../../core/errors.js';
import { ed25519Key, signEd25519, verifyEd25519, type KeyFailures } from '../../core/signing.js';

export const SUMS_FILE = 'SHA256SUMS';
export const SIGNATURE_FILE = 'SHA256SUMS.sig';

export interface FileSum {
  path: string;
  sha256: string;
}

/**
 * Every regular file under `root` except the sums and signature, sorted, paths with `/`.
 * Anything else but a directory (a symlink above all) is refused: its target would not be signed.
 */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const odd = entries.find((e) => !e.isFile() && !e.isDirectory());
  if (odd !== undefined) throw new AgentError('release.invalid', `${join(odd.parentPath, odd.name)}: not a regular file or directory; a bundle holds only those`);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => p !== SUMS_FILE && p !== SIGNATURE_FILE)
    .sort();
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function computeSums(root: string): Promise<FileSum[]> {
  const sums: FileSum[] = [];
  for (const path of await listFiles(root)) sums.push({ path, sha256: await sha256File(join(root, path)) });
  return sums;
}

export function formatSums(sums: readonly FileSum[]): string {
  return sums.map((s) => `${s.sha256}  ${s.path}\n`).join('');
}

export function parseSums(text: string, file: string): FileSum[] {
  return text.split('\n').filter((l) => l !== '').map((line, i) => {
    const m = /^([0-9a-f]{64}) {2}([^\n]+)$/.exec(line);
    if (m === null || m[2] === undefined || m[1] === undefined) throw new AgentError('release.invalid', `${file}:${i + 1}: not a "<sha256>  <path>" line`);
    if (m[2].startsWith('/') || m[2].split('/').includes('..')) throw new AgentError('release.invalid', `${file}:${i + 1}: path ${m[2]} leaves the bundle`);
    return { sha256: m[1], path: m[2] };
  });
}

export function loadPrivateKey(pem: string, file: string): KeyObject {
  return ed25519Key(() => createPrivateKey(pem), keyFailures(file, 'a PEM PKCS8 private key'));
}

export function loadPublicKey(pem: string, file: string): KeyObject {
  return ed25519Key(() => createPublicKey(pem), keyFailures(file, 'a PEM SPKI public key'));
}

function keyFailures(file: string, what: string): KeyFailures {
  return {
    unreadable: (reason) => new AgentError('release.invalid', `${file}: not ${what} (${reason})`),
    notEd25519: (type) => new AgentError('release.invalid', `${file}: an ${type} key, not Ed25519`),
  };
}

export function signSums(sumsText: string, privateKey: KeyObject): Buffer {
  return signEd25519(Buffer.from(sumsText), privateKey);
}

/**
 * Checks a bundle directory completely: the signature over SHA256SUMS, every listed file's hash,
 * and that no file is present that SHA256SUMS does not list (an unlisted file would be unsigned code).
 */
export async function verifyBundleDir(root: string, publicKey: KeyObject): Promise<FileSum[]> {
  const sumsText = await readFile(join(root, SUMS_FILE), 'utf8').catch(() => {
    throw new AgentError('release.invalid', `${root}: no ${SUMS_FILE}: not a release bundle`);
  });
  const signature = await readFile(join(root, SIGNATURE_FILE)).catch(() => {
    throw new AgentError('release.invalid', `${root}: no ${SIGNATURE_FILE}: the bundle is unsigned`);
  });
  if (!verifyEd25519(Buffer.from(sumsText), publicKey, signature)) {
    throw new AgentError('release.invalid', `${root}: the signature of ${SUMS_FILE} does not verify with the given public key`);
  }
  const listed = parseSums(sumsText, join(root, SUMS_FILE));
  const present = await listFiles(root);
  const listedPaths = new Set(listed.map((s) => s.path));
  const unlisted = present.filter((p) => !listedPaths.has(p));
  if (unlisted.length > 0) throw new AgentError('release.invalid', `${root}: files not covered by the signature: ${unlisted.slice(0, 5).join(', ')}`);
  for (const s of listed) {
    const actual = await sha256File(join(root, s.path)).catch(() => 'missing');
    if (actual !== s.sha256) throw new AgentError('release.invalid', `${root}: ${s.path} ${actual === 'missing' ? 'is missing' : 'does not match SHA256SUMS'}`);
  }
  return listed;
}
