import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../agent/core/errors.js';
import { ed25519Key, signEd25519, verifyEd25519 } from '../../../agent/core/signing.js';

const fail = {
  unreadable: (reason: string) => new AgentError('usage', `unreadable: ${reason}`),
  notEd25519: (type: string) => new AgentError('usage', `wrong type: ${type}`),
};

describe('Ed25519 signing shared by model bundles and release sums', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const data = Buffer.from('SHA256SUMS or a manifest');

  it('signs and verifies the exact bytes, and nothing else', () => {
    const signature = signEd25519(data, privateKey);
    expect(signature).toHaveLength(64);
    expect(verifyEd25519(data, publicKey, signature)).toBe(true);
    expect(verifyEd25519(Buffer.from('SHA256SUMS or a manifest!'), publicKey, signature)).toBe(false);
    expect(verifyEd25519(data, generateKeyPairSync('ed25519').publicKey, signature)).toBe(false);
  });

  it('calls a malformed signature or a key that cannot be built false instead of throwing', () => {
    const signature = signEd25519(data, privateKey);
    expect(verifyEd25519(data, publicKey, signature.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(data, () => { throw new Error('bad key text'); }, signature)).toBe(false);
  });

  it('loads only readable Ed25519 keys, in the caller\'s words', () => {
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(ed25519Key(() => createPrivateKey(pem), fail).asymmetricKeyType).toBe('ed25519');
    expect(() => ed25519Key(() => createPublicKey('not a pem'), fail)).toThrow(/^unreadable: /);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => ed25519Key(() => rsa, fail)).toThrow('wrong type: rsa');
  });
});
