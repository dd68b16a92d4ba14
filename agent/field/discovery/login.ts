import { resolve } from 'node:path';
import { readSecretFile } from '../../config/load.js';
import { AgentError } from '../../core/errors.js';
import type { SnippetLogin } from './snippet.js';
import type { OnvifCredentials } from './types.js';

export interface LoginFlags {
  username?: string;
  passwordFile?: string;
  passwordEnv?: string;
}

export interface Login {
  /** For the ONVIF calls; never printed or logged. */
  credentials: OnvifCredentials;
  /** For the snippet: the same username and where the agent will find the password. */
  snippet: SnippetLogin;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The library writes the username into SOAP XML unescaped, so markup characters would corrupt it. */
const SAFE_USERNAME = /^[^<>&"'\s]{1,64}$/;

/**
 * The login from `--username` with `--password-file` or `--password-env`. A password is never
 * taken on the command line, where every user of the host could read it in `ps`.
 */
export async function readLogin(flags: LoginFlags, env: NodeJS.ProcessEnv): Promise<Login | undefined> {
  const { username, passwordFile, passwordEnv } = flags;
  if (username === undefined && passwordFile === undefined && passwordEnv === undefined) return undefined;
  if (passwordFile !== undefined && passwordEnv !== undefined) throw usage('give only one of --password-file and --password-env');
  if (username === undefined) throw usage('--password-file/--password-env need --username');
  if (!SAFE_USERNAME.test(username)) throw usage('--username must be 1-64 characters without spaces, quotes, <, > or &');
  if (passwordFile !== undefined) {
    const file = resolve(passwordFile);
    return { credentials: { username, password: await readSecretFile(file, '--password-file') }, snippet: { username, password: { passwordFile: file } } };
  }
  if (passwordEnv === undefined) throw usage('--username needs --password-file FILE or --password-env NAME (never the password itself)');
  if (!ENV_NAME.test(passwordEnv)) throw usage(`--password-env: "${passwordEnv}" is not an environment variable name`);
  const password = env[passwordEnv];
  if (password === undefined || password === '') throw usage(`--password-env: environment variable ${passwordEnv} is not set`);
  return { credentials: { username, password }, snippet: { username, password: { passwordEnv } } };
}

function usage(message: string): AgentError {
  return new AgentError('usage', message);
}
