import { readFile, readdir } from 'node:fs/promises';
import { realFileSystem } from '../../../../agent/ports/fs.js';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsSchema } from '../../../../agent/config/sections/models.js';
import { MemoryStationLink } from '../../../fakes/memory-link.js';
import { isAgentError } from '../../../../agent/core/errors.js';
import { silentLogger } from '../../../../agent/core/logger.js';
import { downloadBundle } from '../../../../agent/models/update/download.js';
import { ModelUpdater } from '../../../../agent/models/update/updater.js';
import { FakeClock } from '../../../fakes/clock.js';
import { httpsWithCa } from '../../../../agent/ports/https-ca.js';
import { makeCerts } from '../../../helpers/certs.js';
import { testKey, tinyBundle, writeTinyModelDir } from '../../../helpers/model-bundles.js';
import { tempDir } from '../../../helpers/tmp.js';

const maintainer = testKey();
const bundle = tinyBundle({ key: maintainer, bundleVersion: 7 });
let server: Server;
let origin: string;
let ca: string;
const requests: { path: string; range: string | undefined }[] = [];
let dropNext = false;

function serveBundle(range: string | undefined, res: ServerResponse): void {
  const start = range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0);
  const body = bundle.subarray(start);
  res.writeHead(start > 0 ? 206 : 200, { 'content-length': body.length, ...(start > 0 ? { 'content-range': `bytes ${start}-${bundle.length - 1}/${bundle.length}` } : {}) });
  if (dropNext) {
    dropNext = false;
    res.write(body.subarray(0, 500));
    setTimeout(() => res.destroy(), 50);
    return;
  }
  res.end(body);
}

beforeAll(async () => {
  const dir = await tempDir();
  const certs = await makeCerts(dir);
  ca = await readFile(certs.ca, 'utf8');
  server = createServer({ cert: await readFile(certs.serverCert), key: await readFile(certs.serverKey) }, (req, res) => {
    const range = req.headers.range;
    requests.push({ path: req.url ?? '', range });
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/bundle') return serveBundle(range, res);
    if (req.url === '/moved') return void res.writeHead(302, { location: '/bundle' }).end();
    if (req.url === '/elsewhere') return void res.writeHead(302, { location: `https://localhost:${port}/bundle` }).end();
    if (req.url === '/stall') return void res.writeHead(200, { 'content-length': bundle.length }).write(bundle.subarray(0, 500));
    if (req.url === '/huge') return void res.writeHead(200, { 'content-length': 5 * 1024 * 1024 }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

async function refusalOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAgentError(err, 'model.refused')) return `${String(err.details['reason'])}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('model download over HTTPS (test CA)', () => {
  const options = async () => ({ http: httpsWithCa(ca), fs: realFileSystem, allowedOrigins: [origin], maxBytes: 1024 * 1024, file: join(await tempDir(), 'b'), onProgress: () => undefined });

  it('downloads, following a same-origin redirect', async () => {
    const o = await options();
    await downloadBundle(`${origin}/moved`, o);
    expect((await readFile(o.file)).equals(bundle)).toBe(true);
  });

  it('resumes with Range after the connection drops', async () => {
    const o = await options();
    requests.length = 0;
    dropNext = true;
    await downloadBundle(`${origin}/bundle`, o);
    expect((await readFile(o.file)).equals(bundle)).toBe(true);
    expect(requests).toEqual([{ path: '/bundle', range: undefined }, { path: '/bundle', range: 'bytes=500-' }]);
  });

  it('refuses a URL outside the allowlist and plain HTTP before connecting', async () => {
    const o = await options();
    requests.length = 0;
    expect(await refusalOf(downloadBundle('https://models.example.org/b', o))).toMatch(/^origin_not_allowed: https:\/\/models.example.org is not in models.allowedOrigins/);
    expect(await refusalOf(downloadBundle(`http://127.0.0.1:1/b`, { ...o, allowedOrigins: ['http://127.0.0.1:1'] }))).toMatch(/^not_https: /);
    expect(requests).toEqual([]);
  });

  it('refuses a redirect to another origin', async () => {
    expect(await refusalOf(downloadBundle(`${origin}/elsewhere`, await options()))).toMatch(/^cross_origin_redirect: .* redirected to https:\/\/localhost:/);
  });

  it('refuses a body larger than the cap', async () => {
    expect(await refusalOf(downloadBundle(`${origin}/huge`, await options()))).toMatch(/^too_large: bundle is 5242880 bytes, over the cap of 1048576/);
  });

  it('ends at its deadline when the server stalls half way through the body', async () => {
    const deadline = new AbortController();
    const o = { ...await options(), deadline: deadline.signal, onProgress: () => deadline.abort(new Error('downloadTimeout')) };
    expect(await refusalOf(downloadBundle(`${origin}/stall`, o))).toMatch(/^deadline: /);
  });

  it('does not trust the server without its CA', async () => {
    const o = await options();
    await expect(downloadBundle(`${origin}/bundle`, { ...o, http: httpsWithCa('') , attempts: 1 })).rejects.toThrow();
  });

  it('installs through model/install and reports it on the model topic', async () => {
    const dir = await tempDir();
    await writeTinyModelDir(join(dir, 'packaged'));
    const link = new MemoryStationLink();
    const updater = new ModelUpdater({
      fs: realFileSystem, health: { raise: () => undefined, clear: () => undefined }, root: join(dir, 'models'), link, logger: silentLogger(), clock: new FakeClock(new Date('2026-06-01T00:00:00Z')), http: httpsWithCa(ca),
      config: modelsSchema.parse({ trustedKeys: [maintainer.publicKey], allowedOrigins: [origin] }),
      agentVersion: '0.1.0',
      packaged: { slot: null, id: 'tiny', bundleVersion: 0, sha256: 'a'.repeat(64), modelsRoot: join(dir, 'packaged') },
      selfTest: () => Promise.resolve({ ok: true, problems: [] }),
      activate: () => Promise.resolve(),
    });
    await updater.start();
    await expect(link.command('model/install', { url: 'https://models.example.org/b' })).rejects.toThrow(/not in models.allowedOrigins/);
    await expect(link.command('model/install', { url: `${origin}/bundle` })).resolves.toEqual({ accepted: true });
    await updater.idle();
    expect(link.model).toMatchObject({ installed: { id: 'tiny', version: 7 }, update: { state: 'active', version: 7 } });
    expect((await readdir(join(dir, 'models'))).filter((f) => f.startsWith('incoming'))).toEqual([]);
  });
});
