/**
 * Access to the web console: off loopback every page, the event stream and every image need a
 * login; acknowledgements need the session's CSRF token; a loopback console refuses foreign
 * Host names (DNS rebinding).
 */
import { execFile, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/logger.js';
import { systemClock } from '../../../agent/ports/clock.js';
import { realMqttConnector } from '../../../agent/ports/mqtt.js';
import { ConsoleApp } from '../../../agent/station/console-app.js';
import { hashPassword } from '../../../agent/station/web/passwords.js';
import { BIN, startCli, waitFor } from '../../helpers/cli.js';
import { startMosquitto, type Broker } from '../../helpers/station/broker.js';
import { SimulatedHost, realThumbnails } from '../../helpers/station/host.js';
import { tempDir } from '../../helpers/tmp.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  bytes: Buffer;
}

/** One request; a streaming answer (/events) is cut after its first chunk. */
function fetchRaw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (String(res.headers['content-type']).startsWith('text/event-stream')) res.destroy();
      });
      const done = () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
      };
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', body: new URLSearchParams(fields).toString() });

async function addUser(usersFile: string, name: string, password: string): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'console', '--users-file', usersFile, '--add-user', name], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(`${password}\n`);
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
}

describe('web console off loopback (127.0.0.2, https, real process)', () => {
  let broker: Broker;
  let host: SimulatedHost;
  let web: ReturnType<typeof startCli>;
  let base: string;

  beforeAll(async () => {
    broker = await startMosquitto();
    const dir = await tempDir();
    const [cert, key, users] = [join(dir, 'cert.pem'), join(dir, 'key.pem'), join(dir, 'users')];
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.2']);
    await addUser(users, 'alice', 'correct horse battery');
    expect((await stat(users)).mode & 0o777).toBe(0o600);
    web = startCli(['console', '--web', '--listen', '127.0.0.2:0', '--users-file', users, '--tls-cert', cert, '--tls-key', key, '--db', join(dir, 'console.db'), '--url', broker.url]);
    await waitFor(() => /serving https:\/\/127\.0\.0\.2:\d+\//.test(web.output().stdout), 10_000, 'the console to listen');
    base = /serving (https:\/\/\S+)\//.exec(web.output().stdout)![1]!;
    await waitFor(() => web.output().stderr.includes('"msg":"subscribed"'), 10_000, 'the console to subscribe');
    host = new SimulatedHost('dongcun-02', broker.url, 1);
    await host.connect();
    const [jpeg] = await realThumbnails(1);
    await host.personEvent('evt-1', 'road', jpeg!);
  });

  afterAll(async () => {
    await host?.stop();
    web?.child.kill('SIGTERM');
    await web?.done;
    await broker?.stop();
  });

  it.each(['/', '/events', '/thumb/dongcun-02/evt-1.jpg', '/history', '/api/events', '/history.csv', '/event/dongcun-02/evt-1'])('answers 401 to an unauthenticated GET %s', async (path) => {
    const answer = await fetchRaw(`${base}${path}`);
    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).not.toBe('image/jpeg');
    expect(answer.bytes[0]).not.toBe(0xff);
  });

  it('answers 401 to an unauthenticated acknowledgement', async () => {
    const { body, ...headers } = form({ key: 'dongcun-02/evt-1' });
    expect((await fetchRaw(`${base}/ack`, { method: 'POST', headers, body })).status).toBe(401);
  });

  it('refuses a wrong password and logs in with the right one, with a secure session cookie', async () => {
    const { body: wrong, ...headers } = form({ user: 'alice', password: 'wrong password' });
    expect((await fetchRaw(`${base}/login`, { method: 'POST', headers, body: wrong })).status).toBe(401);

    const login = await fetchRaw(`${base}/login`, { method: 'POST', headers, body: form({ user: 'alice', password: 'correct horse battery' }).body });
    expect(login.status).toBe(303);
    const cookie = login.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^__Host-minwang-session=[\w-]{40,};/);
    for (const attribute of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) expect(cookie).toContain(attribute);
    const session = { cookie: cookie.split(';')[0]! };

    const page = await fetchRaw(`${base}/`, { headers: session });
    expect(page.status).toBe(200);
    expect(page.body).toContain('alice · log out');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;

    // The thumbnail travels through the broker: poll (bounded) until the console has it.
    await expect.poll(async () => (await fetchRaw(`${base}/thumb/dongcun-02/evt-1.jpg`, { headers: session })).status, { timeout: 10_000 }).toBe(200);
    const thumbnail = await fetchRaw(`${base}/thumb/dongcun-02/evt-1.jpg`, { headers: session });
    expect(thumbnail.headers['content-type']).toBe('image/jpeg');
    expect((await fetchRaw(`${base}/events`, { headers: session })).headers['content-type']).toContain('text/event-stream');

    const ack = form({ key: 'dongcun-02/evt-1' });
    const post = (headers: Record<string, string>) => fetchRaw(`${base}/ack`, { method: 'POST', headers: { ...session, 'content-type': ack['content-type'], accept: 'application/json', ...headers }, body: ack.body });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': csrf, origin: 'https://evil.example' })).status).toBe(403);
    const accepted = await post({ 'x-csrf-token': csrf });
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.body)).toMatchObject({ ok: true, ack: { by: 'alice' } });
  });
});

describe('web console on loopback without login', () => {
  let app: ConsoleApp;
  let base: string;
  let broker: Broker;

  beforeAll(async () => {
    broker = await startMosquitto();
    const db = join(await tempDir(), 'console.db');
    app = new ConsoleApp(
      { broker: { url: broker.url }, staleAfterMs: 90_000, terminal: null, saveDir: null, web: { listen: { host: '127.0.0.1', port: 0 }, users: null, tls: null, lang: null, db } },
      { clock: systemClock, mqtt: realMqttConnector, logger: silentLogger() },
    );
    await app.startOutputs();
    await app.connect();
    base = app.web!.url().replace(/\/$/, '');
  });

  afterAll(async () => {
    await app?.stop();
    await broker?.stop();
  });

  it('serves its own Host names and refuses any other (DNS rebinding)', async () => {
    const port = new URL(base).port;
    expect((await fetchRaw(`${base}/`)).status).toBe(200);
    expect((await fetchRaw(`${base}/`, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await fetchRaw(`${base}/`, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
  });

  it('still needs the page token to acknowledge, so another site cannot post for the operator', async () => {
    const { body, ...headers } = form({ key: 'x/y' });
    expect((await fetchRaw(`${base}/ack`, { method: 'POST', headers, body })).status).toBe(403);
    const page = await fetchRaw(`${base}/`);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;
    expect((await fetchRaw(`${base}/ack`, { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf }, body })).status).toBe(404);
  });

  it('sends a strict content security policy', async () => {
    const page = await fetchRaw(`${base}/`);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
});

describe('login throttle against guesses sent at once', () => {
  let app: ConsoleApp;
  let base: string;
  let broker: Broker;

  beforeAll(async () => {
    broker = await startMosquitto();
    const db = join(await tempDir(), 'console.db');
    const users = new Map([['alice', await hashPassword('correct horse battery', { ln: 12, r: 8, p: 1 })]]);
    app = new ConsoleApp(
      { broker: { url: broker.url }, staleAfterMs: 90_000, terminal: null, saveDir: null, web: { listen: { host: '127.0.0.1', port: 0 }, users, tls: null, lang: null, db } },
      { clock: systemClock, mqtt: realMqttConnector, logger: silentLogger() },
    );
    await app.startOutputs();
    await app.connect();
    base = app.web!.url().replace(/\/$/, '');
  });

  afterAll(async () => {
    await app?.stop();
    await broker?.stop();
  });

  it('checks at most 5 of 60 concurrent guesses from one address; the rest are refused unchecked', async () => {
    const { body, ...headers } = form({ user: 'alice', password: 'guess' });
    const answers = await Promise.all(Array.from({ length: 60 }, () => fetchRaw(`${base}/login`, { method: 'POST', headers, body })));
    const checked = answers.filter((a) => a.status === 401).length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.status === 429).length).toBe(60 - checked);
    // Sequential guesses: 5 failures in all, then blocked even for the right password.
    for (let i = checked; i < 5; i++) expect((await fetchRaw(`${base}/login`, { method: 'POST', headers, body })).status).toBe(401);
    const right = await fetchRaw(`${base}/login`, { method: 'POST', headers, body: form({ user: 'alice', password: 'correct horse battery' }).body });
    expect(right.status).toBe(429);
  });
});

describe('the language a request is answered in', () => {
  let app: ConsoleApp;
  let base: string;
  let broker: Broker;

  beforeAll(async () => {
    broker = await startMosquitto();
    const db = join(await tempDir(), 'console.db');
    const users = new Map([['alice', await hashPassword('correct horse battery', { ln: 12, r: 8, p: 1 })]]);
    app = new ConsoleApp(
      { broker: { url: broker.url }, staleAfterMs: 90_000, terminal: null, saveDir: null, web: { listen: { host: '127.0.0.1', port: 0 }, users, tls: null, lang: null, db } },
      { clock: systemClock, mqtt: realMqttConnector, logger: silentLogger() },
    );
    await app.startOutputs();
    await app.connect();
    base = app.web!.url().replace(/\/$/, '');
  });

  afterAll(async () => {
    await app?.stop();
    await broker?.stop();
  });

  it('follows Accept-Language on the login page and its errors, and says so in Content-Language', async () => {
    const chinese = { 'accept-language': 'en;q=0.5, zh-CN' };
    const page = await fetchRaw(`${base}/`, { headers: chinese });
    expect(page.status).toBe(401);
    expect(page.headers['content-language']).toBe('zh-CN');
    expect(page.body).toContain('<html lang="zh-CN">');
    expect(page.body).toContain('<label>用户名 <input name="user"');
    const { body, ...headers } = form({ user: 'alice', password: 'wrong password' });
    const refused = await fetchRaw(`${base}/login`, { method: 'POST', headers: { ...headers, ...chinese }, body });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('<p class="error">用户名或密码错误。</p>');
    expect((await fetchRaw(`${base}/events`, { headers: chinese })).body).toBe('请先登录\n');
    const english = await fetchRaw(`${base}/`, { headers: { 'accept-language': 'zh-TW, fr' } });
    expect(english.body).toContain('<html lang="en">');
  });

  it('keeps a ?lang= choice in a cookie that wins over the browser, and ignores a forged one', async () => {
    const chosen = await fetchRaw(`${base}/login?lang=zh-CN`);
    expect(chosen.status).toBe(303);
    expect(chosen.headers.location).toBe('/login');
    const cookie = String(chosen.headers['set-cookie']);
    expect(cookie).toMatch(/^minwang_lang=zh-CN; Path=\/; Secure; SameSite=Lax; Max-Age=\d+$/);
    const page = await fetchRaw(`${base}/login`, { headers: { cookie: 'minwang_lang=zh-CN', 'accept-language': 'en' } });
    expect(page.body).toContain('<html lang="zh-CN">');
    const forged = await fetchRaw(`${base}/login`, { headers: { cookie: 'minwang_lang=<script>', 'accept-language': 'en' } });
    expect(forged.body).toContain('<html lang="en">');
    expect(forged.body).not.toContain('<script>');
    const unknown = await fetchRaw(`${base}/login?lang=xx`);
    expect(unknown.status).toBe(200);
    expect(unknown.headers['set-cookie']).toBeUndefined();
  });
});
