// Ed25519 as both signing schemes use it (model bundles and release sums): pure Ed25519 over the
// exact bytes, no pre-hash, so `openssl pkeyutl -rawin` checks the same signatures. The callers keep
// their own key encodings and error messages.
import { sign, verify, type KeyObject } from 'node:crypto';
import type { AgentError } from './errors.js';

/** Ed25519 signatures are always this long; anything else is refused before it reaches OpenSSL. */
const SIGNATURE_BYTES = 64;

/** How a caller words a key it cannot use. */
export interface KeyFailures {
  unreadable: (reason: string, cause: unknown) => AgentError;
  notEd25519: (type: string) => AgentError;
}

/** A key built by `make` (from PEM, JWK…), refused unless it is readable and Ed25519. */
export function ed25519Key(make: () => KeyObject, fail: KeyFailures): KeyObject {
  let key: KeyObject;
  try {
    key = make();
  } catch (err) {
    throw fail.unreadable(err instanceof Error ? err.message : String(err), err);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw fail.notEd25519(key.asymmetricKeyType ?? 'unknown');
  return key;
}

export function signEd25519(data: Buffer, privateKey: KeyObject): Buffer {
  return sign(null, data, privateKey);
}

/** Whether `signature` is `key`'s over `data`; a malformed signature or key is simply false. */
export function verifyEd25519(data: Buffer, publicKey: KeyObject | (() => KeyObject), signature: Buffer): boolean {
  try {
    const key = typeof publicKey === 'function' ? publicKey() : publicKey;
    return signature.length === SIGNATURE_BYTES && verify(null, data, key, signature);
  } catch {
    return false;
  }
}
