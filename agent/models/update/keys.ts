import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AgentError } from '../../core/errors.js';
import { ed25519Key } from '../../core/signing.js';

/**
 * Maintainer keys are Ed25519. A public key travels as the base64 of its 32 raw bytes (44
 * characters): short enough for a config file, and the same string names the key in a bundle.
 */
export const PUBLIC_KEY_RE = /^[A-Za-z0-9+/]{43}=$/;

export interface MaintainerKeyPair {
  /** PKCS#8 PEM, for the maintainer's file (0600). */
  privatePem: string;
  publicKey: string;
}

export function generateMaintainerKey(): MaintainerKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: publicKeyString(publicKey) };
}

export function publicKeyString(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.x === undefined) throw new AgentError('model.invalid', 'not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (!PUBLIC_KEY_RE.test(trimmed)) throw new AgentError('usage', `not an Ed25519 public key (expected 44 base64 characters): "${trimmed.slice(0, 60)}"`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(trimmed, 'base64').toString('base64url') }, format: 'jwk' });
}

export function parsePrivateKey(pem: string): KeyObject {
  return ed25519Key(() => createPrivateKey(pem), {
    unreadable: (reason, cause) => new AgentError('usage', `not a PEM private key: ${reason}`, { cause }),
    notEd25519: (type) => new AgentError('usage', `the private key is ${type}, not ed25519`),
  });
}
