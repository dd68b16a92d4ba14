import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { AgentError } from '../../core/errors.js';
import { modelManifestSchema } from '../manifest.js';
import { sha256Of } from '../store.js';
import { parsePublicKey, publicKeyString } from './keys.js';
import { signEd25519, verifyEd25519 } from '../../core/signing.js';

/**
 * A model bundle is one file:
 *
 *   "minwang-bundle/1\n"
 *   u32 length, manifest (canonical JSON, the exact bytes that were signed)
 *   u32 length, signature ({"key": public key, "signature": base64 Ed25519 over the manifest bytes})
 *   per manifest file, in manifest order: u16 name length, name, u32 size, bytes
 *
 * Our own container rather than tar: it has no links, modes, devices, long-name extensions or
 * directories to get wrong, so a reader cannot be tricked into writing outside its slot. Every
 * length is bounds-checked before it is used; trailing bytes are refused.
 */
export const BUNDLE_MAGIC = Buffer.from('minwang-bundle/1\n', 'ascii');
export const BUNDLE_FORMAT = 'minwang-model-bundle/1';
const MAX_MANIFEST_BYTES = 256 * 1024;
const MAX_SIGNATURE_BYTES = 1024;
const SAFE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

const isoTime = z.iso.datetime({ offset: true });

export const bundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  /** Monotonic per host: a host refuses anything not above what it installed, unless `rollback`. */
  bundleVersion: z.int().positive(),
  createdAt: isoTime,
  expires: isoTime,
  minAgentVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'a version such as 0.1.0'),
  /** Signed permission to go below the host's highest installed version. */
  rollback: z.boolean(),
  model: modelManifestSchema,
});
export type BundleManifest = z.output<typeof bundleManifestSchema>;

const signatureSchema = z.strictObject({ key: z.string(), signature: z.string() });

export interface OpenedBundle {
  manifest: BundleManifest;
  /** The signing key (base64 raw Ed25519), one of the trusted ones. */
  signedBy: string;
  files: Map<string, Buffer>;
}

/** Key-sorted JSON: the same manifest always gives the same signed bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Builds and signs a bundle; every file's hash and size must match the model manifest. */
export function writeBundle(manifest: BundleManifest, files: ReadonlyMap<string, Buffer>, privateKey: KeyObject, publicKey: KeyObject): Buffer {
  const parsed = bundleManifestSchema.parse(manifest);
  for (const file of parsed.model.files) {
    const data = files.get(file.name);
    if (data === undefined) throw new AgentError('model.missing', `bundle file ${file.name} is missing`);
    if (data.length !== file.bytes || sha256Of(data) !== file.sha256) {
      throw new AgentError('model.corrupt', `bundle file ${file.name} does not match its manifest (sha256 ${sha256Of(data)}, ${data.length} bytes)`);
    }
  }
  const manifestBytes = Buffer.from(canonicalJson(parsed), 'utf8');
  const signature = signEd25519(manifestBytes, privateKey).toString('base64');
  const signatureBytes = Buffer.from(JSON.stringify({ key: publicKeyString(publicKey), signature }), 'utf8');
  const parts: Buffer[] = [BUNDLE_MAGIC, u32(manifestBytes.length), manifestBytes, u32(signatureBytes.length), signatureBytes];
  for (const file of parsed.model.files) {
    const name = Buffer.from(file.name, 'utf8');
    const size = Buffer.alloc(2);
    size.writeUInt16BE(name.length);
    parts.push(size, name, u32(file.bytes), files.get(file.name) as Buffer);
  }
  return Buffer.concat(parts);
}

export interface OpenOptions {
  /** Trusted maintainer public keys (base64 raw Ed25519). */
  trustedKeys: readonly string[];
  maxBytes: number;
}

/**
 * Reads a bundle: container structure, then the signature over the manifest bytes by a trusted
 * key (before the manifest is even parsed), then every file's name, size and sha256.
 * Throws `model.refused` with `details.reason` naming the first problem.
 */
export function openBundle(bytes: Buffer, options: OpenOptions): OpenedBundle {
  if (bytes.length > options.maxBytes) refuse('too_large', `bundle is ${bytes.length} bytes, over the cap of ${options.maxBytes}`);
  const reader = new Reader(bytes);
  if (!reader.take(BUNDLE_MAGIC.length).equals(BUNDLE_MAGIC)) refuse('not_a_bundle', 'not a minwang model bundle (bad magic)');
  const manifestBytes = reader.take(reader.u32('manifest length', MAX_MANIFEST_BYTES));
  const signatureBytes = reader.take(reader.u32('signature length', MAX_SIGNATURE_BYTES));
  const signedBy = checkSignature(manifestBytes, signatureBytes, options.trustedKeys);
  const manifest = parseManifest(manifestBytes);
  const files = new Map<string, Buffer>();
  for (const expected of manifest.model.files) {
    const name = reader.take(reader.u16('file name length')).toString('utf8');
    if (!SAFE_NAME.test(name) || name === '.' || name === '..') refuse('unsafe_name', `file name ${JSON.stringify(name)} in the bundle is not a plain file name (path traversal?)`);
    if (files.has(name)) refuse('duplicate_name', `file ${name} appears twice in the bundle`);
    if (name !== expected.name) refuse('unexpected_file', `bundle holds ${name} where the manifest lists ${expected.name}`);
    const data = reader.take(reader.u32(`size of ${name}`, options.maxBytes));
    if (data.length !== expected.bytes) refuse('size_mismatch', `${name} is ${data.length} bytes, the manifest says ${expected.bytes}`);
    const actual = sha256Of(data);
    if (actual !== expected.sha256) refuse('hash_mismatch', `${name} has sha256 ${actual}, the signed manifest says ${expected.sha256} (tampered or damaged)`);
    files.set(name, data);
  }
  if (!reader.atEnd()) refuse('trailing_bytes', 'bundle has bytes after its last file');
  return { manifest, signedBy, files };
}

function checkSignature(manifestBytes: Buffer, signatureBytes: Buffer, trustedKeys: readonly string[]): string {
  let block: z.output<typeof signatureSchema>;
  try {
    block = signatureSchema.parse(JSON.parse(signatureBytes.toString('utf8')));
  } catch {
    return refuse('unsigned', 'bundle carries no readable signature');
  }
  if (!trustedKeys.includes(block.key)) refuse('unknown_key', `bundle is signed by ${block.key}, which is not among the trusted keys`);
  const ok = verifyEd25519(manifestBytes, () => parsePublicKey(block.key), Buffer.from(block.signature, 'base64'));
  if (!ok) refuse('bad_signature', `bundle signature does not verify with key ${block.key}`);
  return block.key;
}

function parseManifest(bytes: Buffer): BundleManifest {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    return refuse('bad_manifest', 'bundle manifest is not JSON');
  }
  const result = bundleManifestSchema.safeParse(data);
  if (!result.success) {
    refuse('bad_manifest', `bundle manifest is invalid: ${result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

export function refuse(reason: string, message: string): never {
  throw new AgentError('model.refused', message, { details: { reason } });
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

class Reader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  take(length: number): Buffer {
    if (this.offset + length > this.bytes.length) refuse('truncated', `bundle ends early (wanted ${length} bytes at offset ${this.offset})`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  u32(what: string, max: number): number {
    const value = this.take(4).readUInt32BE();
    if (value > max) refuse('too_large', `${what} ${value} is over the limit of ${max}`);
    return value;
  }

  u16(what: string): number {
    const value = this.take(2).readUInt16BE();
    if (value === 0) refuse('unsafe_name', `${what} is zero`);
    return value;
  }

  atEnd(): boolean {
    return this.offset === this.bytes.length;
  }
}
