import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { AgentError } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/minwang/config.yaml';

export interface LoadOptions {
  /** Environment for `passwordEnv` secrets; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads, validates and resolves a config file. Every problem is reported at once, each as
 * `<file>: <key path>: <what is wrong> (line N)`, and nothing starts on a bad config.
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<Config> {
  const text = await readConfigText(file);
  const config = parseConfigText(text, file);
  await resolveSecrets(config, file, options.env ?? process.env);
  await checkPrivateKeyFiles(config, file);
  return config;
}

/** Validates config text (YAML) without touching secrets: for tests and `check`. */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos === undefined ? '' : `:${pos.line}:${pos.col}`;
      return `${file}${where}: YAML syntax error: ${firstLine(e.message)}`;
    });
    throw new AgentError('config.syntax', lines.join('\n'), { details: { file } });
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new AgentError('config.invalid', `${file}: the file is empty; expected a mapping with host, mqtt, storage and cameras`, { details: { file } });
  }
  const result = configSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issuePath(issue);
    const node = doc.getIn(path.length > 0 ? path : [], true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    const line = offset === undefined ? '' : ` (line ${lineCounter.linePos(offset).line})`;
    return `${file}: ${formatPath(path)}: ${describeIssue(issue, isSecretKey(path.at(-1)))}${line}`;
  });
  throw new AgentError('config.invalid', lines.join('\n'), { details: { file, problems: lines.length } });
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new AgentError('config.not_found', `${file}: cannot read config: ${why}`, { cause: err, details: { file } });
  }
}

function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) return [...path, issue.keys[0] ?? ''];
  return path;
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Keys whose values are secrets: an error about them never shows the value. */
function isSecretKey(key: string | number | undefined): boolean {
  return typeof key === 'string' && /password|secret|token/i.test(key);
}

function describeIssue(issue: z.core.$ZodIssue, secret: boolean): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.length === 1 ? 'unknown key' : `unknown keys ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      if (issue.input === undefined) return `is required (${issue.expected})`;
      if (secret) return `expected ${issue.expected}, got a ${typeof issue.input} (value not shown; quote it, e.g. password: '0123')`;
      return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).replace(/ at line \d+, column \d+:?$/, '');
}

interface SecretHolder {
  password?: string;
  passwordFile?: string;
  passwordEnv?: string;
}

/** Replaces `passwordFile` / `passwordEnv` with the secret itself, wherever they appear. */
async function resolveSecrets(config: Config, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  for (const { holder, path } of secretHolders(config, [])) {
    if (holder.passwordEnv !== undefined) {
      const value = env[holder.passwordEnv];
      if (value === undefined || value === '') {
        throw new AgentError('config.secret_unreadable', `${file}: ${formatPath([...path, 'passwordEnv'])}: environment variable ${holder.passwordEnv} is not set`);
      }
      holder.password = value;
    } else if (holder.passwordFile !== undefined) {
      holder.password = await readSecretFile(holder.passwordFile, `${file}: ${formatPath([...path, 'passwordFile'])}`);
    }
  }
}

function* secretHolders(value: unknown, path: (string | number)[]): Generator<{ holder: SecretHolder; path: (string | number)[] }> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* secretHolders(item, [...path, i]);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('passwordFile' in record || 'passwordEnv' in record) yield { holder: record, path };
    for (const [key, child] of Object.entries(record)) yield* secretHolders(child, [...path, key]);
  }
}

/** Reads a secret file; refuses one that any user on the host could read. */
export async function readSecretFile(path: string, where: string): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new AgentError('config.secret_unreadable', `${where}: cannot read secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if ((mode & 0o004) !== 0) {
    throw new AgentError('config.secret_insecure', `${where}: secret file ${path} is world-readable (mode ${(mode & 0o777).toString(8)}); run: chmod o-rwx ${path}`);
  }
  const secret = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  if (secret === '') throw new AgentError('config.secret_unreadable', `${where}: secret file ${path} is empty`);
  return secret;
}

/** Refuses a TLS private key any user on the host could read (it is as secret as a password). */
async function checkPrivateKeyFiles(config: Config, file: string): Promise<void> {
  const key = config.mqtt.tls?.key;
  if (key === undefined) return;
  const where = `${file}: ${formatPath(['mqtt', 'tls', 'key'])}`;
  let mode: number;
  try {
    mode = (await stat(key)).mode;
  } catch (err) {
    throw new AgentError('config.secret_unreadable', `${where}: cannot read private key ${key}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if ((mode & 0o004) !== 0) {
    throw new AgentError('config.secret_insecure', `${where}: private key ${key} is world-readable (mode ${(mode & 0o777).toString(8)}); run: chmod o-rwx ${key}`);
  }
}
