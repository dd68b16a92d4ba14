/**
 * Operator passwords: scrypt (node:crypto) in the PHC string format passlib uses,
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding). The users file holds one
 * `name:<phc>` per line; `#` starts a comment.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AgentError } from '../../core/errors.js';

export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** Constant-time check; false for a malformed hash rather than an exception. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const parsed = parsePhc(phc);
  if (parsed === undefined) return false;
  const actual = await derive(password, parsed.salt, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

export function parsePhc(phc: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (m === null) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.p < 1) return undefined;
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

/** Reads `name:phc` lines; every bad line is an error naming file and line. */
export async function readUsersFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AgentError('usage', `--users-file ${path}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const phc = line.slice(colon + 1);
    if (colon < 1 || !USER_NAME.test(name) || parsePhc(phc) === undefined) {
      throw new AgentError('usage', `${path}:${i + 1}: expected name:$scrypt$ln=..,r=..,p=..$salt$hash (make one with minwang console --add-user NAME)`);
    }
    users.set(name, phc);
  });
  if (users.size === 0) throw new AgentError('usage', `${path}: no users (add one with minwang console --users-file ${path} --add-user NAME)`);
  return users;
}

/** The users file text with `name` set to `phc`, other lines kept as they were. */
export function withUser(text: string, name: string, phc: string): string {
  if (!USER_NAME.test(name)) throw new AgentError('usage', `user name ${JSON.stringify(name)}: use 1-64 of A-Z a-z 0-9 . _ -`);
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith(`${name}:`));
  return `${[...lines, `${name}:${phc}`].join('\n')}\n`;
}

function derive(password: string, salt: Buffer, { ln, r, p }: ScryptParams): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
