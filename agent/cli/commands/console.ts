import { chmod, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { parseByteSize } from '../../config/size.js';
import { DEFAULT_CLIP_BUDGET } from '../../station/web/clips.js';
import { readSecretFile } from '../../config/load.js';
import { AgentError, EXIT, errorMessage, type ExitCode } from '../../core/errors.js';
import { LANGS, parseLang, type Lang } from '../../core/i18n/lang.js';
import { createLogger } from '../../core/logger.js';
import { systemClock } from '../../ports/clock.js';
import { realMqttConnector } from '../../ports/mqtt.js';
import { ConsoleApp, type ConsoleAppOptions } from '../../station/console-app.js';
import type { BrokerOptions } from '../../station/subscriber.js';
import { DEFAULT_LISTEN, isLoopback, parseListen } from '../../station/web/listen.js';
import { hashPassword, readUsersFile, withUser } from '../../station/web/passwords.js';
import type { CliIO, Command, OptionValues } from '../command.js';
import { definedProps } from '../../core/defined-props.js';

const DEFAULT_URL = 'mqtt://127.0.0.1:1883';
const DEFAULT_STALE = '90s';

export const consoleCommand: Command = {
  name: 'console',
  summary: 'station-side live view of hosts, cameras and alerts: terminal, JSON lines or a web page',
  usage: 'console [--url URL] [--json] [--save DIR] [--web [--listen HOST:PORT] [--users-file FILE] [--lang en|zh-CN]]',
  help: [
    'Subscribes to minwang/# on the station broker and shows every host, camera and alert live.',
    '',
    'broker:',
    `    --url URL             mqtt:// or mqtts:// broker (default ${DEFAULT_URL})`,
    '    --username NAME       broker user name',
    '    --password-file FILE  broker password, read from FILE (must not be world-readable)',
    '    --ca FILE             PEM CA bundle for an mqtts:// broker with a private CA',
    '    --share GROUP         share events/health/patrol with other consoles of GROUP ($share/GROUP/...)',
    '    --client-id ID        fixed MQTT client id with a persistent session: what the broker queued',
    '                          for this console while it was down comes when it is back (use one id',
    '                          per console process, e.g. with --share and --db postgres://...; there',
    '                          a console that is gone has its session taken over by one still running)',
    `    --stale-after DUR     a host silent this long is "stale" (default ${DEFAULT_STALE})`,
    '',
    'terminal:',
    '    --json                one JSON object per received message on stdout, for piping',
    '    --save DIR            save thumbnails to DIR/<host>/thumbnails/<event>.jpg and',
    '                          contact sheets to DIR/<host>/sheets/<report>.jpg; fetch event',
    '                          clips to DIR/<host>/clips/<event>.mp4 (resumed, sha256-checked)',
    '  Without --json: a live screen on a terminal, one line per change otherwise.',
    '',
    'web (--web serves a page instead of the terminal view):',
    `    --listen HOST:PORT    address to serve on (default ${DEFAULT_LISTEN}; port 0 picks one)`,
    '    --users-file FILE     operators allowed to log in (name:$scrypt$... lines); required, with',
    '                          --tls-cert and --tls-key, when HOST is not 127.0.0.1 or ::1',
    '    --tls-cert FILE       PEM certificate for https',
    '    --tls-key FILE        PEM private key for https',
    '    --db FILE|URL         where events, thumbnails, health and acknowledgements are kept: a',
    '                          SQLite file (default $XDG_STATE_HOME/minwang/console.db) or a',
    '                          postgres://user@host/db URL, shared by several consoles (also from',
    '                          the environment: MINWANG_CONSOLE_DB; the flag wins)',
    '    --clips-dir DIR       where the event page keeps the clips operators fetch (default: clips/',
    '                          beside the SQLite file; $XDG_STATE_HOME/minwang/clips with PostgreSQL)',
    '    --clips-budget SIZE   at most this much of clips there, oldest deleted first (default 2GiB)',
    '    --add-user NAME       read a password from stdin, store its scrypt hash for NAME in',
    '                          --users-file, and exit',
    '    --lang en|zh-CN       write every page in this language (default: each browser\'s',
    '                          Accept-Language; a choice made on the page still wins)',
    '',
    'Exits 0 after Ctrl-C or SIGTERM, 1 when the broker refuses the connection or the web',
    'server cannot start, 2 on a usage error.',
  ],
  options: {
    url: { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    ca: { type: 'string' },
    share: { type: 'string' },
    'client-id': { type: 'string' },
    'stale-after': { type: 'string' },
    json: { type: 'boolean' },
    save: { type: 'string' },
    web: { type: 'boolean' },
    listen: { type: 'string' },
    'users-file': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    db: { type: 'string' },
    'clips-dir': { type: 'string' },
    'clips-budget': { type: 'string' },
    'add-user': { type: 'string' },
    lang: { type: 'string' },
  },
  async run({ io, values, logLevel, logFormat }): Promise<ExitCode> {
    const addUser = str(values, 'add-user');
    if (addUser !== undefined) return addOperator(io, addUser, str(values, 'users-file'));
    const options = await consoleOptions(values, io);
    const logger = createLogger({ level: logLevel, format: logFormat, stream: io.stderr });
    const app = new ConsoleApp(options, { clock: systemClock, mqtt: realMqttConnector, logger });

    let stopRequested: () => void = () => undefined;
    const stopSignal = new Promise<'stop'>((resolve) => { stopRequested = () => resolve('stop'); });
    const unsubscribe = io.onStopSignal(() => stopRequested());
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      await app.startOutputs();
      if (app.web !== null) io.stdout.write(`minwang console: serving ${app.web.url()}\n`);
      const first = await Promise.race([app.connect().then(() => 'connected' as const), stopSignal]);
      if (first === 'connected') await stopSignal;
      return EXIT.OK;
    } catch (err) {
      logger.fatal({ err: errorMessage(err) }, `console failed: ${errorMessage(err)}`);
      io.stderr.write(`minwang console: ${errorMessage(err)}\n`);
      return EXIT.FAILURE;
    } finally {
      await app.stop();
      clearInterval(keepAlive);
      unsubscribe();
      logger.flush();
    }
  },
};

async function consoleOptions(values: OptionValues, io: CliIO): Promise<ConsoleAppOptions> {
  const web = values['web'] === true;
  for (const flag of ['listen', 'users-file', 'tls-cert', 'tls-key', 'db', 'lang', 'clips-dir', 'clips-budget']) {
    if (!web && values[flag] !== undefined) throw new AgentError('usage', `--${flag} needs --web`);
  }
  const json = values['json'] === true;
  const terminal = web && !json ? null : { mode: json ? 'json' as const : io.stdout.isTTY === true ? 'screen' as const : 'lines' as const, out: io.stdout as ConsoleAppOptionsOut };
  return {
    broker: await brokerOptions(values),
    staleAfterMs: staleAfter(str(values, 'stale-after') ?? DEFAULT_STALE),
    terminal,
    saveDir: str(values, 'save') ?? null,
    web: web ? await webOptions(values, io.env) : null,
  };
}

type ConsoleAppOptionsOut = NonNullable<ConsoleAppOptions['terminal']>['out'];

async function brokerOptions(values: OptionValues): Promise<BrokerOptions> {
  const url = str(values, 'url') ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentError('usage', `--url ${JSON.stringify(url)} is not a URL (example: ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') throw new AgentError('usage', `--url must be mqtt:// or mqtts://, not ${parsed.protocol}//`);
  const passwordFile = str(values, 'password-file');
  const ca = str(values, 'ca');
  const share = str(values, 'share');
  if (share !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(share)) throw new AgentError('usage', `--share ${JSON.stringify(share)}: use 1-64 of A-Z a-z 0-9 _ -`);
  const username = str(values, 'username');
  const clientId = str(values, 'client-id');
  if (clientId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(clientId)) throw new AgentError('usage', `--client-id ${JSON.stringify(clientId)}: use 1-64 of A-Z a-z 0-9 _ -`);
  return {
    url,
    ...definedProps({ username }),
    ...(passwordFile === undefined ? {} : { password: await readSecretFile(passwordFile, '--password-file') }),
    ...(ca === undefined ? {} : { ca: await readOption(ca, '--ca') }),
    ...definedProps({ shareGroup: share, clientId }),
  };
}

async function webOptions(values: OptionValues, env: NodeJS.ProcessEnv): Promise<NonNullable<ConsoleAppOptions['web']>> {
  const listen = parseListen(str(values, 'listen') ?? DEFAULT_LISTEN);
  const usersFile = str(values, 'users-file');
  const cert = str(values, 'tls-cert');
  const key = str(values, 'tls-key');
  if ((cert === undefined) !== (key === undefined)) throw new AgentError('usage', '--tls-cert and --tls-key go together');
  if (!isLoopback(listen.host)) {
    if (usersFile === undefined) throw new AgentError('usage', `--listen ${listen.host} is not loopback (127.0.0.1 or ::1): --users-file is required so operators log in`);
    if (cert === undefined) throw new AgentError('usage', `--listen ${listen.host} is not loopback (127.0.0.1 or ::1): --tls-cert and --tls-key are required so passwords and session cookies never cross the network in clear`);
  }
  const stateDir = join(env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'minwang');
  const db = databaseOption(str(values, 'db') ?? nonEmpty(env['MINWANG_CONSOLE_DB']) ?? join(stateDir, 'console.db'));
  return {
    listen,
    users: usersFile === undefined ? null : await readUsersFile(usersFile),
    tls: cert === undefined || key === undefined ? null : { cert: await readOption(cert, '--tls-cert'), key: await readOption(key, '--tls-key') },
    db,
    clipsDir: str(values, 'clips-dir') ?? (/^postgres(ql)?:\/\//i.test(db) ? join(stateDir, 'clips') : join(dirname(db), 'clips')),
    clipBudgetBytes: clipsBudget(str(values, 'clips-budget')),
    lang: langOption(str(values, 'lang')),
  };
}

async function addOperator(io: CliIO, name: string, usersFile: string | undefined): Promise<ExitCode> {
  if (usersFile === undefined) throw new AgentError('usage', '--add-user needs --users-file FILE');
  const password = (await readStdin()).replace(/\r?\n$/, '');
  if (password.length < 8) throw new AgentError('usage', '--add-user: give a password of at least 8 characters on stdin');
  let text = '';
  try {
    text = await readFile(usersFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(usersFile, withUser(text, name, await hashPassword(password)), { mode: 0o600 });
  await chmod(usersFile, 0o600);
  io.stdout.write(`${name} can now log in (stored in ${usersFile})\n`);
  return EXIT.OK;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function langOption(text: string | undefined): Lang | null {
  if (text === undefined) return null;
  const lang = parseLang(text);
  if (lang === undefined) throw new AgentError('usage', `--lang ${JSON.stringify(text)}: expected one of ${LANGS.join(', ')}`);
  return lang;
}

/** A postgres:// URL must parse (its password is never echoed); anything else is a SQLite file path. */
function databaseOption(db: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(db)) return db;
  let url: URL | undefined;
  try {
    url = new URL(db);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new AgentError('usage', `--db: expected a SQLite file path or a postgres://user@host:5432/database URL, not ${url?.protocol ?? 'an unreadable URL'}`);
  }
  return db;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

function clipsBudget(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CLIP_BUDGET;
  const bytes = parseByteSize(text);
  if (bytes === undefined || bytes < 1024 ** 2) throw new AgentError('usage', `--clips-budget ${JSON.stringify(text)}: expected a size of at least 1MiB (examples: 500MiB, 2GiB)`);
  return bytes;
}

function staleAfter(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000) throw new AgentError('usage', `--stale-after ${JSON.stringify(text)}: expected a duration of at least 1s (examples: 90s, 5m)`);
  return ms;
}

async function readOption(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new AgentError('usage', `${flag} ${path}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function str(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
