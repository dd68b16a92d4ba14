import { describe, expect, it } from 'vitest';
import { digest, UsernameTokenChecker } from '../../../sim/onvif/username-token.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

function header(password: string, nonce = Buffer.from('0123456789abcdef').toString('base64'), created = new Date(NOW).toISOString(), username = 'admin') {
  return { Security: { UsernameToken: { Username: username, Password: { '#text': digest(nonce, created, password), '@_Type': DIGEST_TYPE }, Nonce: { '#text': nonce }, Created: created } } };
}

// The simulator must refuse what a camera refuses, or the discovery tests that rely on it could not fail.
describe('the simulator UsernameToken check', () => {
  const checker = () => new UsernameTokenChecker('admin', 'secret', () => NOW);

  it('accepts the right password digest', () => {
    expect(checker().check(header('secret'))).toEqual({ ok: true });
  });

  it('refuses a wrong password, a wrong user, no token, a stale time and a replayed nonce', () => {
    expect(checker().check(header('Secret'))).toEqual({ ok: false, reason: 'wrong username or password' });
    expect(checker().check(header('secret', undefined, undefined, 'root'))).toEqual({ ok: false, reason: 'wrong username or password' });
    expect(checker().check({})).toEqual({ ok: false, reason: 'no UsernameToken' });
    expect(checker().check(header('secret', undefined, new Date(NOW - 10 * 60_000).toISOString()))).toEqual({ ok: false, reason: 'Created time is stale' });
    const once = checker();
    expect(once.check(header('secret')).ok).toBe(true);
    expect(once.check(header('secret'))).toEqual({ ok: false, reason: 'nonce reused' });
  });
});
