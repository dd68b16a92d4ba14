import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP authentication as IP cameras ask for it: Basic (RFC 7617) and Digest (RFC 7616: MD5,
 * SHA-256 and their -sess variants, qop=auth/auth-int, nonce reuse with a growing nc, a fresh
 * challenge when the server says the nonce is stale). The npm libraries checked (digest-fetch,
 * axios-digest-auth) fix the algorithm up front instead of reading it from the challenge and do
 * not handle several challenges in one header, so this is a small implementation of the RFC.
 */

export interface Challenge {
  /** Lower-cased scheme: `basic`, `digest`, ... */
  scheme: string;
  /** Parameter names lower-cased; quoted values unquoted. */
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value (RFC 7235 §4.1). fetch joins several headers with ", ", so
 * one string may hold several challenges; a new one starts at a token not followed by "=".
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const scanner = new Scanner(header);
  let current: Challenge | undefined;
  while (!scanner.done()) {
    scanner.skip(/[\s,]*/y);
    if (scanner.done()) break;
    const token = scanner.take(/[!#$%&'*+.^_`|~0-9A-Za-z-]+/y);
    if (token === undefined) {
      scanner.skipOne();
      continue;
    }
    scanner.skip(/\s*/y);
    if (current !== undefined && scanner.peek() === '=') {
      scanner.skipOne();
      scanner.skip(/\s*/y);
      current.params[token.toLowerCase()] = scanner.quoted() ?? scanner.take(/[^,\s]*/y) ?? '';
      continue;
    }
    current = { scheme: token.toLowerCase(), params: {} };
    challenges.push(current);
    // token68 form (e.g. `Negotiate abc==`): skip it, it carries no parameters we use.
    scanner.skip(/[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/y);
  }
  return challenges;
}

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}
  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  skipOne(): void {
    this.pos++;
  }
  skip(re: RegExp): void {
    this.take(re);
  }
  take(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null || m[0] === '') return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  /** A quoted-string with backslash escapes, or undefined when the next char is not a quote. */
  quoted(): string | undefined {
    if (this.peek() !== '"') return undefined;
    let out = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos] ?? '';
      if (c === '\\') out += this.text[++this.pos] ?? '';
      else if (c === '"') {
        this.pos++;
        return out;
      } else out += c;
    }
    return out;
  }
}

const ALGORITHMS = {
  'MD5': 'md5',
  'MD5-SESS': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-SESS': 'sha256',
  'SHA-512-256': 'sha512-256',
  'SHA-512-256-SESS': 'sha512-256',
} as const;
type Algorithm = keyof typeof ALGORITHMS;
/** Strongest first: RFC 7616 §3.7 asks clients to use the most preferred algorithm offered. */
const PREFERENCE: readonly string[] = ['SHA-512-256', 'SHA-256', 'MD5'];

function algorithmOf(challenge: Challenge): Algorithm | undefined {
  const name = (challenge.params['algorithm'] ?? 'MD5').toUpperCase();
  return name in ALGORITHMS ? (name as Algorithm) : undefined;
}

function rank(challenge: Challenge): number {
  if (challenge.scheme === 'basic') return 0;
  const algorithm = algorithmOf(challenge);
  if (challenge.scheme !== 'digest' || algorithm === undefined || challenge.params['nonce'] === undefined) return -1;
  return 10 + PREFERENCE.length - PREFERENCE.indexOf(algorithm.replace('-SESS', ''));
}

/** The challenge to answer: Digest with the strongest known algorithm, else Basic; undefined if none is usable. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  const usable = challenges.filter((c) => rank(c) >= 0);
  return usable.sort((a, b) => rank(b) - rank(a))[0];
}

export interface Credentials {
  username: string;
  password: string;
}

/** Which schemes a session may answer with. */
export interface AuthPolicy {
  /** Basic sends the password as it is: allowed over https, or over http when the config says `auth: basic`. */
  allowBasic: boolean;
}

/**
 * Answers one server's challenges for one set of credentials; keeps the nonce and counts `nc`.
 * Once the server spoke Digest, a Basic challenge is never answered: one spoofed 401 must not
 * make every later request carry the password in clear.
 */
export class HttpAuthSession {
  private challenge: Challenge | undefined;
  private spokeDigest = false;
  private nc = 0;
  private cnonce = '';
  /** Why the last challenge was not answered, for the camera's status. */
  refusal: string | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly makeCnonce: () => string = () => randomBytes(16).toString('hex'),
    private readonly policy: AuthPolicy = { allowBasic: true },
  ) {}

  /** True once a challenge was accepted, so requests carry credentials from the start. */
  get primed(): boolean {
    return this.challenge !== undefined;
  }

  /**
   * Takes a 401's WWW-Authenticate. Returns true when a retry with new credentials makes sense:
   * the first challenge, or a stale nonce (the password was right, the nonce expired).
   */
  accept(header: string | null): boolean {
    const offered = parseChallenges(header ?? '');
    const next = pickChallenge(offered.filter((c) => c.scheme !== 'basic' || this.basicAllowed()));
    this.refusal = undefined;
    if (next === undefined) {
      if (offered.some((c) => c.scheme === 'basic')) {
        this.refusal = this.spokeDigest
          ? 'the camera, which spoke Digest, now asks for Basic: refused (the password would travel in clear; a spoofed answer?)'
          : 'the camera asks for Basic auth over plain http, which sends the password in clear: use https, or set auth: basic for this camera';
      }
      return false;
    }
    if (next.scheme === 'digest') this.spokeDigest = true;
    const wasPrimed = this.primed;
    const stale = next.scheme === 'digest' && next.params['stale']?.toLowerCase() === 'true';
    this.challenge = next;
    this.nc = 0;
    this.cnonce = this.makeCnonce();
    return !wasPrimed || stale;
  }

  private basicAllowed(): boolean {
    return this.policy.allowBasic && !this.spokeDigest;
  }

  /** The Authorization value for a request, or undefined before any challenge. */
  authorization(method: string, uri: string): string | undefined {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') {
      return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`, 'utf8').toString('base64')}`;
    }
    return this.digest(challenge, method, uri);
  }

  private digest(challenge: Challenge, method: string, uri: string): string {
    const algorithm = algorithmOf(challenge) ?? 'MD5';
    const hash = (text: string) => createHash(ALGORITHMS[algorithm]).update(text, 'utf8').digest('hex');
    const { realm = '', nonce = '', opaque } = challenge.params;
    const qop = chooseQop(challenge.params['qop']);
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const userhash = challenge.params['userhash']?.toLowerCase() === 'true';
    const username = userhash ? hash(`${this.credentials.username}:${realm}`) : this.credentials.username;
    let ha1 = hash(`${this.credentials.username}:${realm}:${this.credentials.password}`);
    if (algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${nonce}:${this.cnonce}`);
    // auth-int hashes the request body; snapshot requests are GETs with an empty body.
    const ha2 = hash(qop === 'auth-int' ? `${method}:${uri}:${hash('')}` : `${method}:${uri}`);
    const response = qop === undefined ? hash(`${ha1}:${nonce}:${ha2}`) : hash(`${ha1}:${nonce}:${nc}:${this.cnonce}:${qop}:${ha2}`);
    const fields = [
      `username=${quote(username)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`,
      `algorithm=${challenge.params['algorithm'] ?? 'MD5'}`, `response=${quote(response)}`,
    ];
    if (opaque !== undefined) fields.push(`opaque=${quote(opaque)}`);
    if (qop !== undefined) fields.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(this.cnonce)}`);
    if (userhash) fields.push('userhash=true');
    return `Digest ${fields.join(', ')}`;
  }
}

function chooseQop(offered: string | undefined): 'auth' | 'auth-int' | undefined {
  if (offered === undefined) return undefined;
  const options = offered.split(',').map((q) => q.trim().toLowerCase());
  if (options.includes('auth')) return 'auth';
  if (options.includes('auth-int')) return 'auth-int';
  return undefined;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
