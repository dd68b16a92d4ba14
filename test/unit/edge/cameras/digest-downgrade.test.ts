import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotSource } from '../../../../agent/edge/cameras/snapshot-source.js';
import { systemClock } from '../../../../agent/ports/clock.js';
import { realHttp } from '../../../../agent/ports/http.js';
import { smallJpeg } from '../../../helpers/jpeg-bombs.js';

const DIGEST = 'Digest realm="cam", nonce="n1", algorithm=MD5, qop="auth"';
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => { if (server === undefined) resolve(); else server.close(() => resolve()); }));

/** A camera on plain http that answers each request with what `plan` says, and records every Authorization sent. */
async function camera(plan: (req: IncomingMessage, n: number) => { status: number; challenge?: string }): Promise<{ url: string; authorizations: string[] }> {
  const jpeg = await smallJpeg();
  const authorizations: string[] = [];
  server = createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    const answer = plan(req, authorizations.length);
    if (answer.status === 200) return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    res.writeHead(answer.status, answer.challenge === undefined ? {} : { 'www-authenticate': answer.challenge }).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/snap.jpg`, authorizations };
}

function source(url: string, auth?: 'auto' | 'basic'): SnapshotSource {
  return new SnapshotSource({ camera: 'gate', url, username: 'admin', password: 'S3cret', http: realHttp, clock: systemClock, ...(auth === undefined ? {} : { auth }) });
}

const grab = (s: SnapshotSource) => s.grab(AbortSignal.timeout(5000));

describe('Digest cannot be downgraded to Basic', () => {
  it('after Digest worked, a spoofed 401 Basic never makes the password travel in clear', async () => {
    const cam = await camera((req, n) => {
      if (n === 3) return { status: 401, challenge: 'Basic realm="cam"' }; // the spoofed answer
      return req.headers.authorization?.startsWith('Digest ') === true ? { status: 200 } : { status: 401, challenge: DIGEST };
    });
    const s = source(cam.url);
    await grab(s);
    await expect(grab(s)).rejects.toThrow(/spoke Digest, now asks for Basic: refused/);
    await grab(s);
    await grab(s);
    expect(cam.authorizations.filter((a) => a.startsWith('Basic '))).toEqual([]);
    expect(cam.authorizations.slice(-2).every((a) => a.startsWith('Digest '))).toBe(true);
  });

  it('refuses Basic over plain http unless the config says auth: basic', async () => {
    const cam = await camera((req) => (req.headers.authorization?.startsWith('Basic ') === true ? { status: 200 } : { status: 401, challenge: 'Basic realm="cam"' }));
    await expect(grab(source(cam.url))).rejects.toThrow(/Basic auth over plain http.*set auth: basic/);
    expect(cam.authorizations.filter((a) => a.startsWith('Basic '))).toEqual([]);
    const frame = await grab(source(cam.url, 'basic'));
    expect(frame.jpeg.length).toBeGreaterThan(100);
  });
});
