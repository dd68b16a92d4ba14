import { describe, expect, it } from 'vitest';
import { HttpAuthSession, parseChallenges, pickChallenge } from '../../../../agent/edge/cameras/http-auth.js';

// RFC 7616 §3.9.1: the worked example, with the responses the RFC gives.
const RFC = {
  username: 'Mufasa',
  password: 'Circle of Life',
  uri: '/dir/index.html',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  challenge: (algorithm: string) =>
    `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, ` +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
};

function field(header: string, name: string): string | undefined {
  return parseChallenges(header)[0]?.params[name];
}

describe('Digest authentication (RFC 7616)', () => {
  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('answers the RFC example with %s', (algorithm, response) => {
    const session = new HttpAuthSession({ username: RFC.username, password: RFC.password }, () => RFC.cnonce);
    expect(session.accept(RFC.challenge(algorithm))).toBe(true);
    const header = session.authorization('GET', RFC.uri) ?? '';
    expect(header.startsWith('Digest ')).toBe(true);
    expect(field(header, 'response')).toBe(response);
    expect(field(header, 'nc')).toBe('00000001');
    expect(field(header, 'qop')).toBe('auth');
    expect(field(header, 'opaque')).toBe('FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
    expect(field(header, 'algorithm')).toBe(algorithm);
  });

  it('reuses the nonce with a growing nc, and a new cnonce only with a new challenge', () => {
    let n = 0;
    const session = new HttpAuthSession({ username: 'u', password: 'p' }, () => `c${++n}`);
    session.accept(RFC.challenge('MD5'));
    const first = session.authorization('GET', '/a') ?? '';
    const second = session.authorization('GET', '/a') ?? '';
    expect([field(first, 'nc'), field(second, 'nc')]).toEqual(['00000001', '00000002']);
    expect(field(second, 'response')).not.toBe(field(first, 'response'));
    expect(field(second, 'cnonce')).toBe('c1');
  });

  it('retries once on a stale nonce but not on a plain refusal', () => {
    const session = new HttpAuthSession({ username: 'u', password: 'p' });
    expect(session.accept(RFC.challenge('MD5'))).toBe(true);
    session.authorization('GET', '/');
    expect(session.accept(`${RFC.challenge('MD5')}, stale=true`)).toBe(true);
    expect(field(session.authorization('GET', '/') ?? '', 'nc')).toBe('00000001');
    expect(session.accept(RFC.challenge('MD5'))).toBe(false);
  });

  it('prefers SHA-256 over MD5 over Basic when a camera offers several', () => {
    const header = 'Basic realm="cam", Digest realm="cam", nonce="n1", algorithm=MD5, qop="auth", Digest realm="cam", nonce="n2", algorithm=SHA-256, qop="auth"';
    expect(parseChallenges(header).map((c) => c.scheme)).toEqual(['basic', 'digest', 'digest']);
    expect(pickChallenge(parseChallenges(header))?.params['nonce']).toBe('n2');
    expect(pickChallenge(parseChallenges('Basic realm="x"'))?.scheme).toBe('basic');
    expect(pickChallenge(parseChallenges('Digest realm="x", nonce="n", algorithm=SHA3-999'))).toBeUndefined();
  });

  it('parses quoted values holding commas, equals signs and escapes', () => {
    const [c] = parseChallenges('Digest realm="a, b=c \\"q\\"", nonce=abc, qop="auth,auth-int"');
    expect(c?.params).toEqual({ realm: 'a, b=c "q"', nonce: 'abc', qop: 'auth,auth-int' });
  });

  it('answers a legacy RFC 2069 challenge (no qop) and -sess algorithms', () => {
    const legacy = new HttpAuthSession({ username: 'Mufasa', password: 'Circle Of Life' });
    legacy.accept('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"');
    const header = legacy.authorization('GET', '/dir/index.html') ?? '';
    expect(field(header, 'qop')).toBeUndefined();
    // RFC 2069 §2.4's printed response is known to be wrong (errata); this is MD5(HA1:nonce:HA2) computed independently.
    expect(field(header, 'response')).toBe('670fd8c2df070c60b045671b8b24ff02');
    const sess = new HttpAuthSession({ username: 'u', password: 'p' }, () => 'c');
    sess.accept('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256-sess');
    expect(field(sess.authorization('GET', '/') ?? '', 'algorithm')).toBe('SHA-256-sess');
  });

  it('sends Basic credentials only after a Basic challenge', () => {
    const session = new HttpAuthSession({ username: 'admin', password: 'pw:1' });
    expect(session.authorization('GET', '/')).toBeUndefined();
    session.accept('Basic realm="cam"');
    expect(session.authorization('GET', '/')).toBe(`Basic ${Buffer.from('admin:pw:1').toString('base64')}`);
  });
});
