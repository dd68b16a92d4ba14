import { createHash, timingSafeEqual } from 'node:crypto';
import { elementText, record } from './soap.js';

/** How far a token's Created time may be from the camera's clock (ONVIF devices use minutes). */
const MAX_SKEW_MS = 5 * 60_000;
const PASSWORD_DIGEST = /#PasswordDigest$/;

export type TokenCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a WS-Security UsernameToken with a password digest, as ONVIF cameras do:
 * Base64(SHA-1(nonce + created + password)), a fresh Created time and a nonce used only once.
 */
export class UsernameTokenChecker {
  private readonly seenNonces = new Set<string>();

  constructor(private readonly username: string, private readonly password: string, private readonly now: () => number = Date.now) {}

  check(header: Record<string, unknown>): TokenCheck {
    const token = record(record(header['Security'])['UsernameToken']);
    const username = elementText(token['Username']);
    const password = elementText(token['Password']);
    const nonce = elementText(token['Nonce']);
    const created = elementText(token['Created']);
    if (username === undefined || password === undefined) return { ok: false, reason: 'no UsernameToken' };
    const type = record(token['Password'])['@_Type'];
    if (typeof type !== 'string' || !PASSWORD_DIGEST.test(type)) return { ok: false, reason: 'only PasswordDigest is accepted' };
    if (nonce === undefined || created === undefined) return { ok: false, reason: 'digest without Nonce or Created' };
    const createdMs = Date.parse(created);
    if (Number.isNaN(createdMs) || Math.abs(this.now() - createdMs) > MAX_SKEW_MS) return { ok: false, reason: 'Created time is stale' };
    if (this.seenNonces.has(nonce)) return { ok: false, reason: 'nonce reused' };
    this.seenNonces.add(nonce);
    if (username !== this.username || !sameDigest(password, digest(nonce, created, this.password))) return { ok: false, reason: 'wrong username or password' };
    return { ok: true };
  }
}

export function digest(nonceBase64: string, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from(nonceBase64, 'base64'), Buffer.from(created), Buffer.from(password)])).digest('base64');
}

function sameDigest(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
